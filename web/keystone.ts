// Keystone for the page, loaded on first use: build/web/keystone/keystone.js
// (web/keystone-entry.ts, bundled apart from app.js) and its keystone.wasm
// beside it. Imported by URL, so esbuild leaves it out of app.js.

import type keystoneFactory from '@alexaltea/keystone-js';
import { keystoneAssembler, type Assembler } from './sandbox.js';

let loading: Promise<Assembler> | undefined;

/** The assembler, loading keystone from dir (a URL ending in /) the first time. */
export function loadAssembler(dir: URL): Promise<Assembler> {
  loading ??= (import(new URL('keystone.js', dir).href) as Promise<{ default: typeof keystoneFactory }>)
    .then((m) => m.default({ locateFile: (file) => new URL(file, dir).href }))
    .then(keystoneAssembler);
  // A failed load (network) is tried again next time.
  loading.catch(() => { loading = undefined; });
  return loading;
}
