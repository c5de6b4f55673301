// Machine.start with inputs that must fail fast and say why, instead of hanging.
import { describe, expect, it } from "vitest";
import { Machine } from "../../src/machine/machine.js";
import { bundledBootImages } from "../../src/machine/boot-images.js";
import { describeMachine } from "../../src/node/describe-machine.js";

const machine = describeMachine({});
import { loadImages, loadV86Wasm } from "../../src/node/node-images.js";

const hooks = { serial: () => {}, console: () => {} };
// The smallest valid wasm module: magic and version, nothing else.
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
// A module importing a function v86 does not provide: instantiation fails with a LinkError.
const FOREIGN_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
  0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6e, 0x6f, 0x70, 0x00, 0x00, // import env.nop
]);

describe("Machine.start", () => {
  it("rejects a wasm module that is not v86's", async () => {
    const images = await loadImages();
    const wasm = await WebAssembly.compile(EMPTY_WASM);
    await expect(Machine.start({ images: bundledBootImages(images, machine.devices), wasm, description: machine, backends: [], hooks })).rejects.toThrow(/not v86's/);
  });

  it("rejects a wasm module v86 cannot link", async () => {
    const images = await loadImages();
    const wasm = await WebAssembly.compile(FOREIGN_WASM);
    await expect(Machine.start({ images: bundledBootImages(images, machine.devices), wasm, description: machine, backends: [], hooks })).rejects.toThrow(/could not be instantiated/);
  });

  it("rejects bad options and images before building anything", async () => {
    const images = await loadImages();
    const wasm = await loadV86Wasm();
    await expect(Machine.start({ images: bundledBootImages(images, machine.devices), wasm, description: { ...machine, memoryMiB: 64 }, backends: [], hooks })).rejects.toThrow(/memory/);
    await expect(Machine.start({ images: { ...bundledBootImages(images, machine.devices), kernel: { name: "bzImage", bytes: new ArrayBuffer(8) } }, wasm, description: machine, backends: [], hooks })).rejects.toThrow(/bzImage/);
  });
});
