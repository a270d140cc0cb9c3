// Node-RED settings for the benchmark anchors: the runtime only (no editor, no telemetry, no
// installs at run time), logging at info so the driver sees "Started flows" / "Connected to broker".
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.SS_NR_PORT || 0),
  flowFile: 'flows.json',
  flowFilePretty: false,
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: false,
  logging: { console: { level: 'info', metrics: false, audit: false } },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
  functionExternalModules: false,
};
