import { describe, expect, it } from 'vitest';
import { createPrivacy, maskPlate } from '../../edge/pipeline/privacy.ts';
import { createIdMinter } from '../../edge/pipeline/ids.ts';

describe('privacy stage', () => {
  it('replaces card, employee and plate with keyed hashes, drops names, keeps a masked plate', () => {
    const p = createPrivacy('secret-one-0123456789');
    const a = p.apply({ card: '3102837465', employee: 'E1001', person: 'Zhang San', plate: '闽D12345', reader: 1 });
    expect(a).toEqual({ card: expect.stringMatching(/^[0-9a-f]{32}$/), employee: expect.stringMatching(/^[0-9a-f]{32}$/), plate: expect.stringMatching(/^[0-9a-f]{32}$/), plateMasked: '闽D1***5', reader: 1 });
    // Same value, same key → same hash (links events); another key → another hash.
    expect(p.apply({ card: '3102837465' })['card']).toBe(a['card']);
    expect(createPrivacy('secret-two-0123456789').apply({ card: '3102837465' })['card']).not.toBe(a['card']);
    expect(JSON.stringify(a)).not.toMatch(/3102837465|E1001|Zhang|12345/);
  });

  it('masks plates of both lengths and refuses to leak short ones', () => {
    expect(maskPlate('闽D12345')).toBe('闽D1***5');
    expect(maskPlate('闽DF12345')).toBe('闽DF***5');
    expect(maskPlate('AB1')).toBe('***');
  });
});

describe('event ids', () => {
  it('are unique within a start and across starts even with the clock set back', () => {
    const clock = () => 1_764_404_102_000;
    const a = createIdMinter('edge-1', 1, clock);
    const b = createIdMinter('edge-1', 2, () => 1_764_404_000_000);
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(a());
    for (let i = 0; i < 5000; i++) ids.add(b());
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 3)) expect(id).toMatch(/^[A-Za-z0-9_.:-]{8,100}$/);
  });
});
