// The page is served by Vite in development and built to dist/ for any static host
// (base "./": every URL is relative). The guest images live in images/ (committed with the
// script that builds them); this config serves them at images/ in development and copies
// them into the build, with images.json: their sizes, sha256 and kernel facts, computed
// from the bytes served (image-manifest.ts), which the instant shell checks its snapshot
// against instead of downloading the images.
import { defineConfig, type Plugin } from "vite";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { IMAGE_FILES } from "./src/machine/images.js";
import { loadImages } from "./src/node/node-images.js";
import { SHELL_STATE_FILE, SHELL_STATE_RECORD } from "./src/machine/shell-state.js";
import { IMAGE_MANIFEST_FILE, makeImageManifest } from "./src/machine/image-manifest.js";
import { DEFAULT_OPTIONS } from "./src/machine/options.js";

const imagesDir = fileURLToPath(new URL("./images/", import.meta.url));
/** The instant shell's snapshot (?start=snapshot) is optional: without it the page boots cold and says why. */
const optionalFiles = [SHELL_STATE_FILE, SHELL_STATE_RECORD];
const imageFiles = [...Object.values(IMAGE_FILES), ...optionalFiles];

/** images.json for the images in images/ now. */
async function imageManifest(): Promise<string> {
  const images = await loadImages(imagesDir);
  return JSON.stringify(await makeImageManifest(images, DEFAULT_OPTIONS.memoryMiB), null, 2);
}

function guestImages(): Plugin {
  return {
    name: "ringside-guest-images",
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const path = (req.url ?? "").split("?")[0] ?? "";
        const file = path.replace(/^.*\/images\//, "");
        if (path.includes("/images/") && file === IMAGE_MANIFEST_FILE) {
          imageManifest().then((json) => {
            res.setHeader("Content-Type", "application/json");
            res.end(json);
          }, next);
          return;
        }
        if (!path.includes("/images/") || !imageFiles.includes(file)) return next();
        try {
          const data = await readFile(join(imagesDir, file));
          res.setHeader("Content-Type", "application/octet-stream");
          res.setHeader("Content-Length", data.length);
          res.end(data);
        } catch {
          res.statusCode = 404;
          res.end(`images/${file} is missing: run images/build.sh`);
        }
      });
    },
    async generateBundle() {
      this.emitFile({ type: "asset", fileName: `images/${IMAGE_MANIFEST_FILE}`, source: await imageManifest() });
      for (const file of imageFiles) {
        let source: Buffer;
        try {
          source = await readFile(join(imagesDir, file));
        } catch (err) {
          if (!optionalFiles.includes(file)) throw err;
          this.warn(`images/${file} is missing: ?start=snapshot will boot cold (npx tsx images/make-shell-state.ts makes it)`);
          continue;
        }
        this.emitFile({ type: "asset", fileName: `images/${file}`, source });
      }
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [guestImages()],
  worker: { format: "es" },
  build: { target: "es2022", sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: { port: 5173 },
  preview: { port: 4173 },
});
