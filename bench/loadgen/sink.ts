// A subscriber in its own process that counts what it receives (the baseline's "one subscriber").
import mqtt from 'mqtt';

const [url = '', filter = '#', qosArg = '1'] = process.argv.slice(2);
let received = 0;
const client = mqtt.connect(url, { clientId: `bench-sink-${process.pid}`, clean: true, reconnectPeriod: 0 });
client.on('connect', () => {
  const s = (client as unknown as { stream?: { setNoDelay?: (v: boolean) => void } }).stream;
  s?.setNoDelay?.(true);
  client.subscribe(filter, { qos: Number(qosArg) as 0 | 1 }, (err) => {
    process.send?.(err ? { type: 'error', message: err.message } : { type: 'ready' });
  });
});
client.on('message', () => {
  received++;
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') process.send?.({ type: 'count', received });
  if (m.type === 'stop') void client.endAsync().then(() => process.exit(0));
});
