import type { DeviceKind } from '../../protocol/devices.ts';
import { accessBehaviour } from './access.ts';
import { barrierBehaviour } from './barrier.ts';
import { cameraBehaviour } from './camera.ts';
import { fenceBehaviour } from './fence.ts';
import type { Behaviour } from './types.ts';

export const BEHAVIOURS: Readonly<Record<DeviceKind, Behaviour>> = {
  access: accessBehaviour,
  barrier: barrierBehaviour,
  fence: fenceBehaviour,
  camera: cameraBehaviour,
};

export type { Behaviour, DeviceEnv, Draft } from './types.ts';
