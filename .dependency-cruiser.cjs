// The import rules of docs/architecture.md (design.md section 2), written as data and checked by
// `npm run check:deps`, which `npm test` runs first. DO NOT RELAX THESE RULES to get a change
// through: move the code to the layer it belongs to instead.
//
// Each rule lists what a layer MAY import (anything else is forbidden). Node builtins and npm
// packages are "anything else" unless a rule names them.

const allow = (name, comment, from, allowed, { builtins = false } = {}) => ({
  name, comment, severity: 'error',
  from: { path: from.path, pathNot: from.pathNot },
  to: builtins ? { pathNot: allowed, dependencyTypesNot: ['core'] } : { pathNot: allowed },
});

module.exports = {
  forbidden: [
    allow('model-is-pure', 'engine/model imports nothing outside engine/model',
      { path: '^src/engine/model/' }, '^src/engine/model/'),
    allow('ports-are-interfaces', 'engine/ports imports only model and ports',
      { path: '^src/engine/ports/' }, '^src/engine/(model|ports)/'),
    allow('protocol-and-rpc', 'engine/protocol and engine/rpc import model, protocol, rpc and zod only',
      { path: '^src/engine/(protocol|rpc)/' }, '^(src/engine/(model|protocol|rpc)/|node_modules/zod/)'),
    allow('present-is-pure', 'engine/present imports model and present only',
      { path: '^src/engine/present/' }, '^src/engine/(model|present)/'),
    allow('access-is-pure', 'engine/access (the ACL model and its decision function) imports model and access only',
      { path: '^src/engine/access/' }, '^src/engine/(model|access)/'),
    allow('advisor-is-pure', 'engine/advisor imports model, ports (types) and advisor only',
      { path: '^src/engine/advisor/' }, '^src/engine/(model|ports|advisor)/'),
    allow('diagnose-is-pure', 'engine/diagnose imports model and diagnose only (history windows in, causes out)',
      { path: '^src/engine/diagnose/' }, '^src/engine/(model|diagnose)/'),
    allow('record-is-pure', 'engine/record (recording format, recorder, replay source, report) imports model, ports, core, advisor and record only — never node: modules',
      { path: '^src/engine/record/' }, '^src/engine/(model|ports|core|advisor|record)/'),
    allow('core-has-no-node', 'engine/core imports model, ports, protocol, rpc, advisor, diagnose, core — never node: modules',
      { path: '^src/engine/core/' }, '^src/engine/(model|ports|protocol|rpc|advisor|diagnose|core)/'),
    allow('node-adapters', 'engine/node (the only engine folder with node: builtins) imports model, ports, protocol, rpc, node, builtins, ws and better-sqlite3 (the recording file)',
      { path: '^src/engine/node/' }, '^(src/engine/(model|ports|protocol|rpc|node)/|node_modules/(ws|better-sqlite3)/)', { builtins: true }),
    allow('collector-layer', 'collector imports model, ports and collector only (systeminformation only from inventory-si.ts)',
      { path: '^src/collector/', pathNot: '^src/collector/inventory-si\\.ts$' }, '^src/(engine/(model|ports)|collector)/'),
    allow('collector-inventory', 'inventory-si.ts is the one file that may import systeminformation',
      { path: '^src/collector/inventory-si\\.ts$' }, '^(src/(engine/(model|ports)|collector)/|node_modules/systeminformation/)'),
    allow('tuning-layer', 'tuning imports model, ports and tuning (and collector parsers, its public readers)',
      { path: '^src/tuning/' }, '^src/(engine/(model|ports)|tuning|collector/(cgroup|procfs|sysfs|tc|qmp)/parse|collector/cgroup/layout)'),
    allow('demo-simulator', 'the demo host simulator writes a tree, serves QMP and answers the commands a demo engine runs (implements the CommandRunner port): model, ports, demo, node builtins',
      { path: '^src/demo/' }, '^src/(engine/(model|ports)|demo)/', { builtins: true }),
    allow('tui-front-end', 'tui (except its composition root main.ts) sees only the engine API, protocol, rpc, present, blessed',
      { path: '^src/tui/', pathNot: '^src/tui/main\\.ts$' }, '^(src/(engine/(model|protocol|rpc|present)|tui)/|node_modules/(blessed|blessed-contrib)/)'),
    allow('desktop-renderer', 'the renderer sees only model, protocol, rpc, present, desktop/shared and uPlot (DOM, no node)',
      { path: '^src/desktop/renderer/' }, '^(src/(engine/(model|protocol|rpc|present)|desktop/(shared|renderer))/|node_modules/uplot/)'),
    allow('desktop-preload', 'the preload exposes a two-function bridge: desktop/shared and electron only',
      { path: '^src/desktop/preload/' }, '^(src/desktop/(shared|preload)/|node_modules/electron/|electron$)'),
    {
      name: 'electron-only-in-desktop-main-and-preload', severity: 'error',
      comment: 'electron is imported only by desktop/main and desktop/preload',
      from: { pathNot: '^src/desktop/(main|preload)/' }, to: { path: '(^|/)node_modules/electron/|^electron$' },
    },
    {
      name: 'no-front-end-from-lower-layers', severity: 'error',
      comment: 'nothing below the front ends imports tui, desktop or cli',
      from: { path: '^src/(engine|collector|tuning|demo)/' }, to: { path: '^src/(tui|desktop|cli)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    preserveSymlinks: true, // resolve node_modules as linked (the layering test links it into a copy)
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '\\.d\\.ts$' },
  },
};
