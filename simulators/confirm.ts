/**
 * After a site run: ask the edge (GET /devices) what it saw of each device, and put it next to
 * what the simulator had acknowledged — so an installer sees every device confirmed by the edge,
 * not assumed from PUBACKs. A device's last error that is the edge's answer to bad traffic this
 * run sent on purpose (and the edge confirmed) does not count against it.
 */
export interface DeviceConfirmation {
  device: string;
  /** Messages the broker acknowledged to the simulator in this run. */
  simAcked: number;
  edge?: {
    online: boolean | null;
    messages: number;
    events: number;
    deadLettered: number;
    lastEvent: string | null;
    lastError: { code: string; reason: string } | null;
  };
  /** The edge saw at least what we sent and reported no error since the run started. */
  confirmed: boolean;
}

interface EdgeView {
  id: string;
  online: boolean | null;
  lastEvent: { type: string } | null;
  lastError: { code: string; reason: string; at: number } | null;
  counters: { messages: number; events: number; deadLettered: number };
}

export async function confirmDevices(
  edgeApiUrl: string,
  ackedByDevice: Readonly<Record<string, number>>,
  runStartMs: number,
  f: typeof fetch = fetch,
  /** Errors the edge gave on purpose: its answers to this run's bad traffic (report.probeAnswers). */
  expected: readonly { device: string; code: string }[] = [],
): Promise<{ ok: true; devices: DeviceConfirmation[] } | { ok: false; error: string }> {
  let views: EdgeView[];
  try {
    const r = await f(`${edgeApiUrl.replace(/\/+$/, '')}/devices`);
    if (!r.ok) return { ok: false, error: `GET /devices answered ${r.status}` };
    views = ((await r.json()) as { devices: EdgeView[] }).devices;
  } catch (e) {
    return { ok: false, error: `SS_SIM_EDGE_API: ${(e as Error).message}; check --edge-api` };
  }
  const byId = new Map(views.map((v) => [v.id, v]));
  const devices = Object.keys(ackedByDevice).sort().map((device): DeviceConfirmation => {
    const simAcked = ackedByDevice[device] ?? 0;
    const v = byId.get(device);
    if (!v) return { device, simAcked, confirmed: false };
    const fresh = v.lastError && v.lastError.at >= runStartMs ? { code: v.lastError.code, reason: v.lastError.reason } : null;
    // The edge's answer to bad traffic we sent as this device is the device behaving as intended.
    const recentError = fresh && !expected.some((e) => e.device === device && e.code === fresh.code) ? fresh : null;
    return {
      device,
      simAcked,
      edge: {
        online: v.online, messages: v.counters.messages, events: v.counters.events, deadLettered: v.counters.deadLettered,
        lastEvent: v.lastEvent?.type ?? null, lastError: recentError,
      },
      confirmed: v.counters.messages >= simAcked && recentError === null,
    };
  });
  return { ok: true, devices };
}
