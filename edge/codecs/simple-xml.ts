/**
 * Fast path for the XML that GB/T 28181 devices actually send: one root element, plain nested
 * elements without attributes, text without entities. fast-xml-parser's validate + parse cost
 * ~55 µs per 440-byte Notify here (the single biggest item in the edge's per-event profile,
 * issue 7); this scanner does the same document in a few µs.
 *
 * It is a strict SUBSET recogniser: for every document it accepts it returns exactly what
 * `new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: false })`
 * returns (minus the `?xml` key), and that document is one XMLValidator accepts; anything
 * outside the subset (attributes, comments, CDATA, entities, mixed content, repeated tags,
 * several roots, namespaces, odd declarations) returns `undefined`, and the caller falls back to
 * fast-xml-parser, so error codes and messages for bad input are unchanged.
 * test/edge/simple-xml.test.ts checks the equivalence against fast-xml-parser with fast-check.
 */
export type XmlValue = string | XmlObject;
export interface XmlObject {
  [name: string]: XmlValue;
}

const MAX_DEPTH = 16;
// The declarations devices send; anything else (standalone, odd quoting) goes the slow way.
const DECL_RE = /^<\?xml version="1\.[01]"(?: encoding="[A-Za-z0-9_-]{1,20}")?\?>/;

const isNameStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
const isWs = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Parse `text` if it is inside the simple subset; undefined = use the full parser. */
export function parseSimpleXml(text: string): XmlObject | undefined {
  let i = 0;
  const len = text.length;
  if (text.charCodeAt(0) === 60 && text.charCodeAt(1) === 63) {
    const m = DECL_RE.exec(text);
    if (!m) return undefined;
    i = m[0].length;
  }
  while (i < len && isWs(text.charCodeAt(i))) i++;
  const root: XmlObject = {};
  const end = parseElement(text, i, root, 0);
  if (end < 0) return undefined;
  i = end;
  while (i < len && isWs(text.charCodeAt(i))) i++;
  return i === len ? root : undefined;
}

/** Reads `<name>` at `i`; returns the index after the name, or -1. */
function readName(text: string, i: number): number {
  if (!isNameStart(text.charCodeAt(i))) return -1;
  i++;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Parse one element starting at `<` into `parent[name]`. Returns the index after its end tag,
 * or -1 when the element leaves the subset.
 */
function parseElement(text: string, i: number, parent: XmlObject, depth: number): number {
  if (depth > MAX_DEPTH || text.charCodeAt(i) !== 60) return -1;
  const nameEnd = readName(text, i + 1);
  if (nameEnd < 0) return -1;
  const name = text.slice(i + 1, nameEnd);
  // A repeated tag becomes an array in fast-xml-parser; `__proto__` would be a prototype write.
  if (Object.hasOwn(parent, name) || name === '__proto__') return -1;
  let c = text.charCodeAt(nameEnd);
  if (c === 47) {
    // <name/>
    if (text.charCodeAt(nameEnd + 1) !== 62) return -1;
    parent[name] = '';
    return nameEnd + 2;
  }
  if (c !== 62) return -1; // attributes or whitespace in the tag: not our subset
  i = nameEnd + 1;
  let children: XmlObject | undefined;
  let textStart = i;
  let hasText = false;
  for (;;) {
    // Text run up to the next '<'.
    while (i < text.length) {
      c = text.charCodeAt(i);
      if (c === 60) break;
      if (c === 38 || c === 62) return -1; // entities and '>' in text: leave to the full parser
      if (!hasText && !isWs(c)) hasText = true;
      i++;
    }
    if (i >= text.length) return -1;
    if (text.charCodeAt(i + 1) === 47) {
      // </name>
      const closeEnd = i + 2 + name.length;
      if (text.slice(i + 2, closeEnd) !== name || text.charCodeAt(closeEnd) !== 62) return -1;
      if (children !== undefined) {
        if (hasText) return -1; // mixed content (#text in fast-xml-parser)
        parent[name] = children;
      } else {
        const v = text.slice(textStart, i).trim();
        if (v.includes('\r')) return -1; // fast-xml-parser rewrites line ends inside text
        parent[name] = v;
      }
      return closeEnd + 1;
    }
    if (hasText) return -1; // text before a child element: mixed content
    children ??= {};
    i = parseElement(text, i, children, depth + 1);
    if (i < 0) return -1;
    textStart = i;
  }
}
