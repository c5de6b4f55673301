// The layering of docs/architecture.md as rules that `npm test` enforces (npm run lint:deps).
//
// Each folder of src/ is a layer and may import only from itself and the folders listed
// for it below; a folder with no entry may not be imported from anywhere. A rule that
// fails names its layer ("layer-page", ...) and says what that layer may import, so the
// message tells you which line of this table your import breaks. Change the table only
// when the design changes, and say why beside the entry.
//
// Type-only imports count as imports (tsPreCompilationDeps): a type that crosses a layer
// couples the two layers as much as a value does.

/** Folder (or file) paths under src/ that each layer may import, besides itself. */
const LAYERS = {
  // The page reaches the machine only through the worker API: whatever it needs from
  // the machine side (types, DEFAULT_OPTIONS, slotStateAt, memory limits) is re-exported
  // by src/worker/api.ts.
  page: ["share", "util", "worker/api.ts"],
  // Share links describe a machine in the page's words: the same door as the page.
  share: ["util", "worker/api.ts"],
  // The worker runs the machine. inspect and devices only for the types (and the one
  // helper, slotStateAt) that api.ts re-exports to the page.
  worker: ["machine", "description", "backends", "snapshot", "inspect", "devices", "util"],
  // Node front ends: the CLI starts a Node machine (src/node) on a file disk or a state.
  // v86's wasm is found at run time (require.resolve), not imported from src/v86.
  cli: ["node", "machine", "description", "backends", "snapshot", "util"],
  node: ["machine", "description", "backends", "snapshot", "util"],
  // The machine wires everything below it together.
  machine: ["description", "inspect", "v86", "pci", "virtio-pci", "virtio-mmio", "virtio", "devices", "backends", "snapshot", "memory", "platform", "util"],
  // What a machine is, as plain data, and its one parser: below everything that makes or
  // reads machines, above nothing but the plain-data reader it checks fields with.
  description: ["snapshot", "util"],
  // The inspector reads PCI functions, queues and guest memory without disturbing them.
  inspect: ["pci", "virtio", "memory", "util"],
  // The only code that touches v86 internals. backends: v86-nic.ts connects v86's own
  // NE2000 to a NetBackend (type-only).
  v86: ["platform", "memory", "backends", "util"],
  "virtio-pci": ["pci", "virtio", "memory", "platform", "snapshot", "util"],
  // The second transport, at virtio-pci's level with the same imports (it uses no PCI).
  "virtio-mmio": ["pci", "virtio", "memory", "platform", "snapshot", "util"],
  pci: ["platform", "snapshot", "util"],
  // Devices see queues and memory, never PCI.
  virtio: ["memory", "snapshot", "util"],
  devices: ["virtio", "backends", "snapshot", "memory", "util"],
  backends: ["snapshot", "util"],
  snapshot: ["util"],
  memory: ["util"],
  platform: ["util"],
  // Small shared code (MAC text, byte sizes, error messages): imports nothing from src.
  util: [],
};

/** npm packages the page may import (it runs in the browser: no Node built-ins either). */
const PAGE_PACKAGES = ["@xterm/xterm", "@xterm/addon-fit", "comlink", "uplot"];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A regular expression for a layer entry: a folder ("util") or one file ("worker/api.ts"). */
const target = (entry) => (entry.endsWith(".ts") ? `^src/${escape(entry)}$` : `^src/${escape(entry)}/`);

const layerRules = Object.entries(LAYERS).map(([layer, may]) => ({
  name: `layer-${layer}`,
  severity: "error",
  comment:
    `src/${layer}/ may import from src/ only: ` +
    [`src/${layer}/ itself`, ...may.map((m) => (m.endsWith(".ts") ? `src/${m}` : `src/${m}/`))].join(", ") +
    " (the LAYERS table in .dependency-cruiser.cjs; the layers of docs/architecture.md)",
  from: { path: `^src/${escape(layer)}/` },
  to: { path: "^src/", pathNot: [target(layer), ...may.map(target)] },
}));

// The page itself may start the worker API's service on its own thread (?thread=main,
// which exists to measure the worker against the main thread): connect.ts only, and only
// with a dynamic import(), so the machine's code stays out of the page's first bundle.
const CONNECT = "^src/page/connect\\.ts$";
const SERVICE = "^src/worker/machine-service\\.ts$";
const pageRule = layerRules.find((r) => r.name === "layer-page");
pageRule.to.pathNot.push(SERVICE);
const serviceRules = [
  {
    name: "layer-page",
    severity: "error",
    comment: `${pageRule.comment}; only src/page/connect.ts may load src/worker/machine-service.ts (for ?thread=main)`,
    from: { path: "^src/page/", pathNot: CONNECT },
    to: { path: SERVICE },
  },
  {
    name: "page-main-thread",
    severity: "error",
    comment: "src/page/connect.ts loads src/worker/machine-service.ts with import() only: a static import would put the whole machine in the page's first bundle",
    from: { path: CONNECT },
    to: { path: SERVICE, dynamic: false },
  },
];

const knownLayer = `^src/(${Object.keys(LAYERS).map(escape).join("|")})/`;

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "no import cycle in src/, type-only imports included: a cycle means two modules that cannot be understood, tested or moved apart",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...layerRules,
    ...serviceRules,
    {
      name: "layer-unknown",
      severity: "error",
      comment: "every file of src/ belongs to a layer folder listed in LAYERS in .dependency-cruiser.cjs: add the new folder there, with what it may import",
      from: { path: "^src/", pathNot: knownLayer },
      to: {},
    },
    {
      name: "page-packages",
      severity: "error",
      comment: `the page runs in the browser and may import only these npm packages: ${PAGE_PACKAGES.join(", ")} (add one here when the page needs it; never a Node built-in)`,
      from: { path: "^src/(page|share)/" },
      to: {
        dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-bundled", "npm-no-pkg", "npm-unknown", "core"],
        pathNot: PAGE_PACKAGES.map((p) => `(^|/)node_modules/${escape(p)}/`),
      },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "an import that cannot be resolved cannot be checked against the layers (Vite's ?url imports excepted)",
      from: { path: "^src/" },
      to: { couldNotResolve: true, pathNot: "\\?url$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
