// Child-process entry for the SIGKILL test: the same runEdge() that `safestar edge --config` runs,
// without loading every other area's CLI (keeps the restart inside the test fast). No model: this
// test is about durability; test/edge/scorer-onnx.test.ts covers the scorer.
import { runEdge } from '../../edge/main.ts';

await runEdge(process.argv[2] ?? 'site.json', { model: false });
