// `rseqlab run --dir GUEST=HOST`: a host directory shown read-only in the
// guest, through the real launcher. Symlinks into the tree show as guest
// paths, others as their text; nothing outside the tree is read and
// nothing the guest does reaches the host.

import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunArguments } from '../../cli/args.js';
import { gcc, STATIC, tempDir } from '../kernel-model/gcc.js';
import { rseqlab } from './rseqlab.js';

/** Walks a directory: name, mode, size, link target, first line; then tries to change it. */
const WALK_C = `#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void walk(const char *p, int depth) {
  DIR *d = opendir(p);
  if (!d) { printf("%s: %s\\n", p, strerrorname_np(errno)); return; }
  char *names[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) {
    char q[1024]; snprintf(q, sizeof q, "%s/%s", p, names[i]);
    struct stat st; lstat(q, &st);
    char link[256] = ""; if (S_ISLNK(st.st_mode)) { ssize_t k = readlink(q, link, 255); link[k > 0 ? k : 0] = 0; }
    char first[64] = "";
    if (!S_ISDIR(st.st_mode)) {
      int fd = open(q, O_RDONLY);
      if (fd < 0) snprintf(first, sizeof first, "%s", strerrorname_np(errno));
      else { ssize_t k = read(fd, first, 63); first[k > 0 ? k : 0] = 0; char *nl = strchr(first, '\\n'); if (nl) *nl = 0; close(fd); }
    }
    printf("%*s%s %o%s%s [%s]\\n", depth * 2, "", names[i], st.st_mode, *link ? " -> " : "", link, first);
    if (S_ISDIR(st.st_mode)) walk(q, depth + 1);
    free(names[i]);
  }
}
int main(int argc, char **argv) {
  walk(argv[1], 0);
  char q[1024];
  snprintf(q, sizeof q, "%s/new", argv[1]);
  printf("create: %s\\n", open(q, O_CREAT | O_WRONLY, 0644) < 0 ? strerrorname_np(errno) : "ok");
  snprintf(q, sizeof q, "%s/a.txt", argv[1]);
  printf("write: %s\\n", open(q, O_WRONLY) < 0 ? strerrorname_np(errno) : "ok");
  printf("unlink: %s\\n", unlink(q) < 0 ? strerrorname_np(errno) : "ok");
  snprintf(q, sizeof q, "%s/sub", argv[1]);
  printf("rmdir: %s\\n", rmdir(q) < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}
`;

let walk: string;
let tree: string;

beforeAll(() => {
  walk = gcc('cli-dir-walk', WALK_C, STATIC).path;
  tree = join(tempDir, 'tree');
  mkdirSync(join(tree, 'sub', 'deep'), { recursive: true });
  mkdirSync(join(tree, 'empty'));
  writeFileSync(join(tree, 'a.txt'), 'alpha\n');
  writeFileSync(join(tree, 'sub', 'deep', 'f'), 'deep file\n');
  writeFileSync(join(tree, 'secret'), 'owner only\n');
  chmodSync(join(tree, 'a.txt'), 0o644);
  chmodSync(join(tree, 'sub', 'deep', 'f'), 0o640);
  chmodSync(join(tree, 'secret'), 0o600);
  for (const d of ['', 'sub', 'sub/deep', 'empty']) chmodSync(join(tree, d), 0o755);
  symlinkSync('a.txt', join(tree, 'rel'));
  symlinkSync(join(tree, 'sub', 'deep', 'f'), join(tree, 'abs'));
  symlinkSync(join(tempDir, 'outside'), join(tree, 'out'));
  writeFileSync(join(tempDir, 'outside'), 'host file outside the tree\n');
  symlinkSync('../../outside-too', join(tree, 'sub', 'esc'));
});

describe('rseqlab run --dir', () => {
  it('shows the tree read-only at the guest path, links resolved inside the guest', () => {
    const r = rseqlab('run', '--dir', `/data=${tree}`, walk, '/data');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'a.txt 100644 [alpha]',
        'abs 120777 -> /data/sub/deep/f [deep file]',
        'empty 40755 []',
        `out 120777 -> ${join(tempDir, 'outside')} [ENOENT]`,
        'rel 120777 -> a.txt [alpha]',
        'secret 100600 [owner only]',
        'sub 40755 []',
        '  deep 40755 []',
        '    f 100640 [deep file]',
        '  esc 120777 -> ../../outside-too [ENOENT]',
        'create: EROFS',
        'write: EROFS',
        'unlink: EROFS',
        'rmdir: EROFS',
        '',
      ].join('\n'),
    );
    expect(readdirSync(tree).sort()).toEqual(['a.txt', 'abs', 'empty', 'out', 'rel', 'secret', 'sub']);
  });

  it('mounted at /, under the machine directories; --file entries stay visible inside', () => {
    const r = rseqlab('run', '--dir', `/=${tree}`, '--file', `/sub/extra=${join(tree, 'a.txt')}`, walk, '/sub');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['deep 40755 []', '  f 100640 [deep file]', 'esc 120777 -> ../../outside-too [ENOENT]', 'extra 100755 [alpha]']);
    const root = rseqlab('run', '--dir', `/=${tree}`, walk, '/dev');
    expect(root.stdout).toContain('null 20666 []\n');
  });

  it('bad --dir arguments: one line, exit status 2', () => {
    const cases: [string[], RegExp][] = [
      [['--dir', `/x=${join(tree, 'a.txt')}`], /^rseqlab: cannot read directory for \/x .*a\.txt: not a directory \(use --file for a file\)$/],
      [['--dir', `/x=${join(tree, 'missing')}`], /^rseqlab: cannot read directory for \/x .*missing: no such directory$/],
      [['--dir', `/proc/x=${tree}`], /^rseqlab: --dir \/proc\/x=.*: \/proc is generated by rseqlab; choose a guest path outside \/dev, \/proc, \/sys, \/tmp$/],
      [['--dir', `/tmp=${tree}`], /^rseqlab: --dir \/tmp=.*: \/tmp is generated by rseqlab/],
      [['--file', `/dev/x=${join(tree, 'a.txt')}`], /^rseqlab: --file \/dev\/x=.*: \/dev is generated by rseqlab/],
      [['--dir', 'nohost'], /^rseqlab: --dir nohost: expected GUEST_PATH=HOST_PATH$/],
    ];
    for (const [args, message] of cases) {
      const r = rseqlab('run', ...args, walk, '/x');
      expect(r.lines, args.join(' ')).toHaveLength(1);
      expect(r.lines[0]).toMatch(message);
      expect(r.status).toBe(2);
    }
  });

  it('parses repeated --dir', () => {
    const a = parseRunArguments(['--dir', '/a=/x', '--dir=/b=/y', 'prog']);
    expect(a.dirs).toEqual([['/a', '/x'], ['/b', '/y']]);
  });
});
