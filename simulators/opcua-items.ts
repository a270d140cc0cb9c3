import type { CityCompound } from '../protocol/city.ts';
import type { OpcuaEndpointConfig, OpcuaItemConfig } from '../protocol/site.ts';

/**
 * The site-config `opcua` section that points an edge at the simulated OPC UA site
 * (opcua-server.ts): which node feeds which device as which signal. Node ids use namespace
 * index 2, where `startOpcuaServer` registers `urn:safestar:sim`.
 */
export interface OpcuaMapping {
  fenceDevice: string;
  barrierDevice: string;
  zones?: number;
  lanes?: number;
  nsIndex?: number;
}

export function opcuaItems(m: OpcuaMapping): OpcuaItemConfig[] {
  const ns = m.nsIndex ?? 2;
  const id = (path: string): string => `ns=${ns};s=${path}`;
  const items: OpcuaItemConfig[] = [
    { nodeId: id('fence.Armed'), device: m.fenceDevice, signal: 'armed' },
    { nodeId: id('fence.PowerOk'), device: m.fenceDevice, signal: 'power-ok' },
    { nodeId: id('fence.Tamper'), device: m.fenceDevice, signal: 'tamper' },
  ];
  for (let z = 1; z <= (m.zones ?? 4); z++) {
    items.push({ nodeId: id(`fence.zone${z}.Alarm`), device: m.fenceDevice, signal: 'fence-alarm', zone: z });
    items.push({ nodeId: id(`fence.zone${z}.WireCut`), device: m.fenceDevice, signal: 'wire-cut', zone: z });
    items.push({ nodeId: id(`fence.zone${z}.Short`), device: m.fenceDevice, signal: 'short-circuit', zone: z });
  }
  for (let l = 1; l <= (m.lanes ?? 2); l++) {
    items.push({ nodeId: id(`barrier.lane${l}.ArmState`), device: m.barrierDevice, signal: 'gate-state', zone: l });
    items.push({ nodeId: id(`barrier.lane${l}.Fault`), device: m.barrierDevice, signal: 'gate-fault', zone: l });
  }
  return items;
}

/** One endpoint for a compound: its first fence and first barrier device take the OPC UA signals. */
export function opcuaEndpointFor(compound: CityCompound, url: string, opts: { zones?: number; lanes?: number; samplingMs?: number } = {}): OpcuaEndpointConfig {
  const fence = compound.devices.find((d) => d.kind === 'fence');
  const barrier = compound.devices.find((d) => d.kind === 'barrier');
  if (!fence || !barrier) throw new Error(`SS_SIM_OPCUA_DEVICES: compound ${compound.id} needs a fence and a barrier device for the OPC UA site`);
  return {
    url,
    ...(opts.samplingMs ? { samplingMs: opts.samplingMs } : {}),
    items: opcuaItems({ fenceDevice: fence.id, barrierDevice: barrier.id, ...(opts.zones ? { zones: opts.zones } : {}), ...(opts.lanes ? { lanes: opts.lanes } : {}) }),
  };
}
