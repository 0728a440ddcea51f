// scripts/serve-web.mjs: static files from the folder it is given, the
// right content types (a browser compiles wasm only as application/wasm),
// nothing outside the folder, and a clear message for a bad PORT.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'serve-web.mjs');

/** A raw GET (no URL normalisation by the client: /../ reaches the server as sent). */
function get(port: number, path: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve-web', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rseqlab-serve-'));
    mkdirSync(join(dir, 'site', 'programs'), { recursive: true });
    writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'site', 'emulator.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(dir, 'site', 'programs', 'hello'), 'ELF');
    writeFileSync(join(dir, 'secret'), 'outside');
    server = spawn(process.execPath, [script, join(dir, 'site')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /^rseqlab playground: http:\/\/localhost:(\d+)\/$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (code) => reject(new Error(`serve-web exited (${code})`)));
    });
  });

  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page, the wasm and the programs with their types', async () => {
    expect(await get(port, '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>t</title>' });
    expect(await get(port, '/emulator.wasm')).toMatchObject({ status: 200, type: 'application/wasm' });
    expect(await get(port, '/programs/hello')).toMatchObject({ status: 200, type: 'application/octet-stream', body: 'ELF' });
  });

  it('serves nothing outside its folder', async () => {
    expect((await get(port, '/../secret')).status).toBe(404);
    expect((await get(port, '/%2e%2e/secret')).status).toBe(404);
    expect((await get(port, '/missing.js')).status).toBe(404);
  });

  it('says what is wrong with PORT', () => {
    const r = spawnSync(process.execPath, [script, join(dir, 'site')], { env: { ...process.env, PORT: 'eighty' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("serve-web: PORT must be a port number (0..65535), not 'eighty'");
  });
});
