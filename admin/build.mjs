// Builds the dashboard into one folder: index.html and assets/ (app.js, app.css, favicon.svg).
// `node build.mjs [outdir]`; the default is the committed copy the Python server serves. The
// output depends only on the sources and the locked packages (no timestamps, no absolute paths),
// so the test suite can rebuild into a temporary folder and compare bytes.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, "..", "app", "static", "admin"));

await rm(outdir, { recursive: true, force: true });
await mkdir(join(outdir, "assets"), { recursive: true });
await build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.ts", "app-style": "src/app.css" },
  outdir: join(outdir, "assets"),
  entryNames: "[name]",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  charset: "utf8",
  legalComments: "eof",
  sourcemap: false,
  logLevel: "warning",
});
await copyFile(join(here, "src", "index.html"), join(outdir, "index.html"));
await copyFile(join(here, "src", "favicon.svg"), join(outdir, "assets", "favicon.svg"));
