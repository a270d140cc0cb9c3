import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, StatusCodes, Variant,
  type Namespace, type UAObject, type UAVariable,
} from 'node-opcua';
import { freePort } from '../common/ports.ts';
import { Rng } from './random.ts';

/**
 * A simulated OPC UA site: a perimeter fence controller (zones with armed state, alarm flags and
 * voltage) and a barrier-gate PLC (per lane: arm state, fault, loop occupancy, pass counter).
 * Values change over time from a seeded stream; `inject()` forces an incident for tests and
 * scenarios. Node ids are strings in the namespace OPCUA_NAMESPACE_URI — index 2 on this server
 * (index 1 is node-opcua's own server namespace); clients should resolve the index by URI:
 *
 *   ns=2;s=fence.Armed              Boolean   controller armed
 *   ns=2;s=fence.PowerOk            Boolean   mains present (false = power-loss)
 *   ns=2;s=fence.Tamper             Boolean   enclosure open
 *   ns=2;s=fence.zone{n}.Armed      Boolean
 *   ns=2;s=fence.zone{n}.Alarm      Boolean   touch / intrusion (fence-alarm)
 *   ns=2;s=fence.zone{n}.WireCut    Boolean   open circuit (wire-cut)
 *   ns=2;s=fence.zone{n}.Short      Boolean   short between wires (short-circuit)
 *   ns=2;s=fence.zone{n}.VoltageKv  Double    pulse voltage, ~7.5–8.5 kV healthy, ~0.3 when cut
 *   ns=2;s=barrier.lane{n}.ArmState Int32     0 closed, 1 opening, 2 open, 3 closing
 *   ns=2;s=barrier.lane{n}.Fault    Boolean   gate fault
 *   ns=2;s=barrier.lane{n}.LoopOccupied Boolean vehicle on the induction loop
 *   ns=2;s=barrier.lane{n}.PassCount UInt32   vehicles passed since start
 */
export const OPCUA_NAMESPACE_URI = 'urn:safestar:sim';

export interface OpcuaServerOptions {
  /** TCP port; 0 or omitted = a free port. */
  port?: number;
  host?: string;
  /** Where node-opcua keeps its PKI (certificates are created on first start). Default: a temp dir, removed on stop. */
  dataDir?: string;
  seed?: number;
  fenceZones?: number;
  barrierLanes?: number;
  /** How often values change (ms); 0 = never on their own (tests drive them with inject()). */
  updateMs?: number;
}

export type OpcuaInjection =
  | { fence: 'alarm' | 'wire-cut' | 'short' | 'clear'; zone: number }
  | { fence: 'disarm' | 'arm' | 'tamper' | 'power-loss' | 'power-ok' }
  | { barrier: 'fault' | 'clear' | 'vehicle'; lane: number };

export interface OpcuaSim {
  endpointUrl: string;
  namespaceUri: string;
  /** Node ids (string form) by short path, e.g. nodeIds['fence.zone1.VoltageKv']. */
  nodeIds: Record<string, string>;
  inject(i: OpcuaInjection): void;
  /** Current value of a variable by short path. */
  value(path: string): unknown;
  stop(): Promise<void>;
}

interface Var {
  node: UAVariable;
  dataType: DataType;
  value: boolean | number;
}

export async function startOpcuaServer(opts: OpcuaServerOptions = {}): Promise<OpcuaSim> {
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const ownDir = opts.dataDir === undefined;
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'safestar-opcua-'));
  mkdirSync(dir, { recursive: true });
  const certs = new OPCUACertificateManager({ rootFolder: join(dir, 'pki'), automaticallyAcceptUnknownCertificate: true });
  const userCerts = new OPCUACertificateManager({ rootFolder: join(dir, 'user-pki'), automaticallyAcceptUnknownCertificate: true });
  const server = new OPCUAServer({
    port,
    host: opts.host ?? '127.0.0.1',
    hostname: '127.0.0.1',
    serverCertificateManager: certs,
    userCertificateManager: userCerts,
    // A simulator on loopback: no security so any client can connect during commissioning.
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    buildInfo: { productName: 'Safestar site simulator', manufacturerName: 'Safestar', softwareVersion: '1.0.0' },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('SS_SIM_OPCUA_INIT: node-opcua gave no address space after initialize()');
  const ns: Namespace = addressSpace.registerNamespace(OPCUA_NAMESPACE_URI);
  const nsIndex = ns.index;
  const vars = new Map<string, Var>();

  const add = (parent: UAObject, path: string, browseName: string, dataType: DataType, value: boolean | number): void => {
    const node = ns.addVariable({
      componentOf: parent,
      browseName,
      nodeId: `s=${path}`,
      dataType: DataType[dataType] as string,
      minimumSamplingInterval: 100,
    });
    node.setValueFromSource(new Variant({ dataType, value }), StatusCodes.Good);
    vars.set(path, { node, dataType, value });
  };
  const set = (path: string, value: boolean | number): void => {
    const v = vars.get(path);
    if (!v || v.value === value) return;
    v.value = value;
    v.node.setValueFromSource(new Variant({ dataType: v.dataType, value }), StatusCodes.Good);
  };
  const get = (path: string): boolean | number | undefined => vars.get(path)?.value;

  const objects = addressSpace.rootFolder.objects;
  const zones = opts.fenceZones ?? 4;
  const lanes = opts.barrierLanes ?? 2;
  const fence = ns.addObject({ organizedBy: objects, browseName: 'FenceController', nodeId: 's=fence' });
  add(fence, 'fence.Armed', 'Armed', DataType.Boolean, true);
  add(fence, 'fence.PowerOk', 'PowerOk', DataType.Boolean, true);
  add(fence, 'fence.Tamper', 'Tamper', DataType.Boolean, false);
  for (let z = 1; z <= zones; z++) {
    const zone = ns.addObject({ componentOf: fence, browseName: `Zone${z}`, nodeId: `s=fence.zone${z}` });
    add(zone, `fence.zone${z}.Armed`, 'Armed', DataType.Boolean, true);
    add(zone, `fence.zone${z}.Alarm`, 'Alarm', DataType.Boolean, false);
    add(zone, `fence.zone${z}.WireCut`, 'WireCut', DataType.Boolean, false);
    add(zone, `fence.zone${z}.Short`, 'Short', DataType.Boolean, false);
    add(zone, `fence.zone${z}.VoltageKv`, 'VoltageKv', DataType.Double, 8.0);
  }
  const barrier = ns.addObject({ organizedBy: objects, browseName: 'BarrierPLC', nodeId: 's=barrier' });
  for (let l = 1; l <= lanes; l++) {
    const lane = ns.addObject({ componentOf: barrier, browseName: `Lane${l}`, nodeId: `s=barrier.lane${l}` });
    add(lane, `barrier.lane${l}.ArmState`, 'ArmState', DataType.Int32, 0);
    add(lane, `barrier.lane${l}.Fault`, 'Fault', DataType.Boolean, false);
    add(lane, `barrier.lane${l}.LoopOccupied`, 'LoopOccupied', DataType.Boolean, false);
    add(lane, `barrier.lane${l}.PassCount`, 'PassCount', DataType.UInt32, 0);
  }

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  // A vehicle: loop occupied → arm opening → open → loop clear → closing → closed, count + 1.
  const vehicle = (l: number): void => {
    const p = `barrier.lane${l}`;
    if (get(`${p}.Fault`) === true || get(`${p}.LoopOccupied`) === true) return;
    set(`${p}.LoopOccupied`, true);
    set(`${p}.ArmState`, 1);
    later(300, () => set(`${p}.ArmState`, 2));
    later(1500, () => {
      set(`${p}.LoopOccupied`, false);
      set(`${p}.PassCount`, ((get(`${p}.PassCount`) as number) + 1) >>> 0);
      set(`${p}.ArmState`, 3);
      later(300, () => set(`${p}.ArmState`, 0));
    });
  };

  const inject = (i: OpcuaInjection): void => {
    if ('barrier' in i) {
      const p = `barrier.lane${i.lane}`;
      if (i.barrier === 'vehicle') vehicle(i.lane);
      else set(`${p}.Fault`, i.barrier === 'fault');
      return;
    }
    switch (i.fence) {
      case 'alarm': set(`fence.zone${i.zone}.Alarm`, true); break;
      case 'wire-cut': set(`fence.zone${i.zone}.WireCut`, true); set(`fence.zone${i.zone}.VoltageKv`, 0.3); break;
      case 'short': set(`fence.zone${i.zone}.Short`, true); set(`fence.zone${i.zone}.VoltageKv`, 1.1); break;
      case 'clear':
        set(`fence.zone${i.zone}.Alarm`, false); set(`fence.zone${i.zone}.WireCut`, false); set(`fence.zone${i.zone}.Short`, false);
        set(`fence.zone${i.zone}.VoltageKv`, 8.0);
        break;
      case 'disarm': case 'arm':
        set('fence.Armed', i.fence === 'arm');
        for (let z = 1; z <= zones; z++) set(`fence.zone${z}.Armed`, i.fence === 'arm');
        break;
      case 'tamper': set('fence.Tamper', true); break;
      case 'power-loss': set('fence.PowerOk', false); break;
      case 'power-ok': set('fence.PowerOk', true); set('fence.Tamper', false); break;
    }
  };

  const rng = new Rng(opts.seed ?? 1).fork('opcua');
  const updateMs = opts.updateMs ?? 1000;
  let tick: NodeJS.Timeout | undefined;
  if (updateMs > 0) {
    tick = setInterval(() => {
      // Healthy pulse voltage wanders a little; a cut or shorted zone stays low.
      for (let z = 1; z <= zones; z++) {
        if (get(`fence.zone${z}.WireCut`) || get(`fence.zone${z}.Short`)) continue;
        set(`fence.zone${z}.VoltageKv`, Math.round(rng.uniform(7.5, 8.5) * 10) / 10);
        // A nuisance touch (branch, bird) now and then, cleared a few seconds later.
        if (rng.chance(0.002)) {
          inject({ fence: 'alarm', zone: z });
          later(3000, () => set(`fence.zone${z}.Alarm`, false));
        }
      }
      for (let l = 1; l <= lanes; l++) {
        if (rng.chance(0.15)) vehicle(l);
        if (rng.chance(0.0005)) {
          inject({ barrier: 'fault', lane: l });
          later(20_000, () => inject({ barrier: 'clear', lane: l }));
        }
      }
    }, updateMs);
  }

  await server.start();
  const endpointUrl = `opc.tcp://127.0.0.1:${port}`;
  const nodeIds: Record<string, string> = {};
  for (const path of vars.keys()) nodeIds[path] = `ns=${nsIndex};s=${path}`;
  let stopped = false;
  return {
    endpointUrl,
    namespaceUri: OPCUA_NAMESPACE_URI,
    nodeIds,
    inject,
    value: (path) => get(path),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (tick) clearInterval(tick);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await server.shutdown(0);
      await certs.dispose();
      await userCerts.dispose();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
