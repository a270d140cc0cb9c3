import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseSimpleXml } from '../../edge/codecs/simple-xml.ts';

/**
 * The GB/T 28181 fast path must be a strict subset of fast-xml-parser with the codec's options:
 * whatever it accepts, fast-xml-parser validates and parses to the same object.
 */
const full = new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: false });

function fullParse(text: string): unknown {
  const doc = full.parse(text) as Record<string, unknown>;
  delete doc['?xml'];
  return doc;
}

function agrees(text: string): 'fast' | 'fallback' {
  const fast = parseSimpleXml(text);
  if (fast === undefined) return 'fallback';
  expect(XMLValidator.validate(text), text).toBe(true);
  expect(fast, text).toEqual(fullParse(text));
  return 'fast';
}

const NOTIFY = `<?xml version="1.0" encoding="UTF-8"?>
<Notify><CmdType>Alarm</CmdType><SN>17</SN><DeviceID>35020000001320700454</DeviceID><AlarmPriority>4</AlarmPriority><AlarmMethod>5</AlarmMethod><AlarmTime>2026-11-29T08:00:00</AlarmTime><AlarmDescription>入侵 leave</AlarmDescription><Longitude>118.0806</Longitude><Latitude>24.4307</Latitude><Info><AlarmType>6</AlarmType><AlarmTypeParam><EventType>2</EventType></AlarmTypeParam></Info></Notify>
`;

describe('simple XML fast path (GB/T 28181)', () => {
  it('parses a real Notify exactly like fast-xml-parser', () => {
    expect(agrees(NOTIFY)).toBe('fast');
    expect(parseSimpleXml(NOTIFY)?.['Notify']).toMatchObject({ SN: '17', DeviceID: '35020000001320700454', Info: { AlarmTypeParam: { EventType: '2' } } });
  });

  it('agrees with fast-xml-parser on every gb28181 fixture', () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'vendors', 'gb28181-alarm');
    let fast = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const fx = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { payloadText?: string };
      if (fx.payloadText !== undefined && agrees(fx.payloadText) === 'fast') fast++;
    }
    expect(fast).toBeGreaterThan(3);
  });

  it('falls back for what it does not handle', () => {
    for (const t of [
      '<a x="1">1</a>', '<a>1&amp;2</a>', '<a><!-- c --></a>', '<a><![CDATA[x]]></a>', '<a>x<b>1</b></a>', '<a><b>1</b>x</a>',
      '<a><b>1</b><b>2</b></a>', '<a>1</a><b/>', ' <?xml version="1.0"?><a>1</a>', '<a>1</b>', '<a>1', '<a:b>1</a:b>', '<a>1</a >',
      '<?xml version="1.0" standalone="yes"?><a>1</a>', '\uFEFF<a>1</a>', '<__proto__><x>1</x></__proto__>', '', 'hello',
    ]) {
      expect(parseSimpleXml(t), t).toBeUndefined();
    }
  });

  it('equals fast-xml-parser on generated documents (property)', () => {
    const name = fc.constantFrom('a', 'B', 'Info', 'x_1', 'n.m', 'k-2', '_z', 'a:b');
    const text = fc.stringMatching(/^[ \t\r\na-z0-9入侵.&;<>"'=\u00a0-]{0,12}$/);
    const tree = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.tuple(name, text).map(([n, t]) => `<${n}>${t}</${n}>`),
        name.map((n) => `<${n}/>`),
        fc.tuple(name, fc.array(tie('node'), { maxLength: 4 }), fc.constantFrom('', ' ', '\n  ', 'x'))
          .map(([n, kids, ws]) => `<${n}>${kids.map((k) => ws + k).join('')}${ws}</${n}>`),
      ),
    })).node;
    const decl = fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>\n', '<?xml version="1.0" encoding="GB2312"?>\r\n');
    let fast = 0;
    fc.assert(
      fc.property(decl, tree, fc.constantFrom('', '\n', ' x'), (d, t, tail) => {
        if (agrees(d + t + tail) === 'fast') fast++;
      }),
      { numRuns: 600 },
    );
    expect(fast).toBeGreaterThan(50);
  });
});
