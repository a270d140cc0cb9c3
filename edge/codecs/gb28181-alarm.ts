import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { severityFromGbPriority, type EventType } from '../../protocol/devices.ts';
import { parseSimpleXml } from './simple-xml.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { isObject, parseDeviceTime, str, timeFail } from './util.ts';

/**
 * `gb28181-alarm`: GB/T 28181 alarm Notify, XML (VENDORS.md). Values are kept as strings
 * (`parseTagValue: false`): a 20-digit DeviceID does not survive a JS number.
 */
const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, processEntities: false });

const VIDEO: Record<string, EventType> = { '2': 'motion', '5': 'line-crossing', '8': 'loitering', '10': 'crowd-density' };
const DEVICE: Record<string, EventType> = { '1': 'video-loss', '2': 'tamper', '3': 'disk-fault' };

export const gb28181Alarm: Codec = (payload, ctx) => {
  const text = payload.toString('utf8');
  // The common, simple documents take the fast scanner; everything else (and every error) the
  // full validator + parser, which give the same result for what the scanner accepts.
  let doc: unknown = parseSimpleXml(text);
  if (doc === undefined) {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return fail('SS_CODEC_XML', `${valid.err.code}: ${valid.err.msg} (line ${valid.err.line})`.slice(0, 200));
    doc = parser.parse(text);
  }
  const n = isObject(doc) ? doc['Notify'] : undefined;
  if (!isObject(n)) return fail('SS_CODEC_SHAPE', '<Notify> root missing');
  if (n['CmdType'] !== 'Alarm') return fail('SS_CODEC_UNKNOWN_CODE', `CmdType ${JSON.stringify(n['CmdType'])?.slice(0, 40)} is not mapped`);
  const priority = Number(str(n['AlarmPriority']));
  if (!Number.isInteger(priority) || priority < 1 || priority > 4) return fail('SS_CODEC_SHAPE', 'AlarmPriority must be 1-4');
  const deviceTime = parseDeviceTime(str(n['AlarmTime'])?.trim(), ctx.timezone);
  if (deviceTime === undefined) return timeFail('AlarmTime', n['AlarmTime']);
  const method = str(n['AlarmMethod'])?.trim();
  const info = isObject(n['Info']) ? n['Info'] : {};
  const alarmType = str(info['AlarmType'])?.trim();
  const param = isObject(info['AlarmTypeParam']) ? info['AlarmTypeParam'] : {};
  const subType = str(param['EventType'])?.trim();

  let type: EventType | undefined;
  if (method === '5') {
    if (alarmType === '6') type = subType === '1' ? 'intrusion-enter' : subType === '2' ? 'intrusion-leave' : undefined;
    else if (alarmType !== undefined) type = VIDEO[alarmType];
  } else if (method === '2') {
    if (alarmType !== undefined) type = DEVICE[alarmType];
  } else if (method === '6') {
    type = 'fault';
  }
  if (type === undefined) {
    return fail('SS_CODEC_UNKNOWN_CODE', `AlarmMethod ${method ?? '-'} / AlarmType ${alarmType ?? '-'} / EventType ${subType ?? '-'} is not mapped`);
  }

  const attributes: EventDraft['attributes'] = { alarmMethod: Number(method), priority };
  if (alarmType !== undefined && /^\d{1,3}$/.test(alarmType)) attributes['alarmType'] = Number(alarmType);
  const deviceId = str(n['DeviceID'])?.trim();
  if (deviceId !== undefined && /^\d{20}$/.test(deviceId)) {
    attributes['gbDeviceId'] = deviceId;
    attributes['gbType'] = deviceId.slice(10, 13); // digits 11-13: device type (131/132 camera)
  }
  const sn = str(n['SN'])?.trim();
  if (sn !== undefined && /^\d{1,12}$/.test(sn)) attributes['sn'] = Number(sn);
  const desc = str(n['AlarmDescription']);
  if (desc !== undefined) attributes['description'] = desc.slice(0, 128);
  const lon = Number(str(n['Longitude']));
  const lat = Number(str(n['Latitude']));
  if (Number.isFinite(lon) && Number.isFinite(lat) && str(n['Longitude']) !== undefined) {
    attributes['longitude'] = lon;
    attributes['latitude'] = lat;
  }
  return ok([{ kind: 'camera', type, severity: severityFromGbPriority(priority), deviceTime, attributes }]);
};
