// The entry point of build/web/keystone/keystone.js (scripts/build-web.mjs
// bundles it apart from app.js): keystone's emscripten module as an ES
// module, which web/keystone.ts imports by URL only when the sandbox opens,
// so the page's first load carries neither its JavaScript nor its wasm.
export { default } from '@alexaltea/keystone-js';
