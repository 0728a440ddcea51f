// /sys/devices/system: the CPUs and NUMA nodes of the machine (SystemView),
// as glibc's get_nprocs / sysconf and topology-aware programs read them.

import { describe, expect, it } from 'vitest';
import { EACCES } from '../../kernel-model/errno.js';
import { S_IFDIR, S_IFREG } from '../../kernel-model/files.js';
import { O_CREAT, O_DIRECTORY, O_WRONLY, fakeSystem, listNames, makeFs } from './vfs-helpers.js';

function sysFs(cpus: number, nodes: number) {
  const t = makeFs();
  t.vfs.attachSystem(fakeSystem([], { cpus, nodes }));
  return t;
}

describe('/sys/devices/system', () => {
  it('cpu: online, possible, present as ranges; one directory per CPU', () => {
    const t = sysFs(4, 2);
    expect(t.read('/sys/devices/system/cpu/online')).toBe('0-3\n');
    expect(t.read('/sys/devices/system/cpu/possible')).toBe('0-3\n');
    expect(t.read('/sys/devices/system/cpu/present')).toBe('0-3\n');
    expect(t.read('/sys/devices/system/cpu/offline')).toBe('\n');
    expect(t.read('/sys/devices/system/cpu/kernel_max')).toBe('8191\n');
    expect(listNames(t.openOk('/sys/devices/system/cpu', O_DIRECTORY))).toEqual(['.', '..', 'cpu0', 'cpu1', 'cpu2', 'cpu3', 'kernel_max', 'offline', 'online', 'possible', 'present']);
    expect(listNames(t.openOk('/sys/devices/system/cpu/cpu0', O_DIRECTORY))).toEqual(['.', '..', 'node0', 'topology']);
    expect(listNames(t.openOk('/sys/devices/system/cpu/cpu3', O_DIRECTORY))).toEqual(['.', '..', 'online', 'node1', 'topology']);
    expect(t.read('/sys/devices/system/cpu/cpu3/online')).toBe('1\n');
    expect(t.vfs.readlink(t.at, '/sys/devices/system/cpu/cpu3/node1')).toBe('../../node/node1');
    expect(t.read('/sys/devices/system/cpu/cpu3/node1/cpulist')).toBe('2-3\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/physical_package_id')).toBe('1\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/core_id')).toBe('1\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/core_siblings_list')).toBe('2-3\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/core_siblings')).toBe('c\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/thread_siblings_list')).toBe('3\n');
    expect(t.read('/sys/devices/system/cpu/cpu3/topology/thread_siblings')).toBe('8\n');
    expect(t.read('/sys/devices/system/cpu/cpu1/topology/die_id')).toBe('0\n');
  });

  it('node: CPUs split evenly (node = floor(cpu / (cpus / nodes)))', () => {
    const t = sysFs(6, 4);
    expect(t.read('/sys/devices/system/node/online')).toBe('0-3\n');
    expect(t.read('/sys/devices/system/node/possible')).toBe('0-3\n');
    expect(t.read('/sys/devices/system/node/has_cpu')).toBe('0-3\n');
    expect(['node0', 'node1', 'node2', 'node3'].map((n) => t.read(`/sys/devices/system/node/${n}/cpulist`))).toEqual(['0-1\n', '2\n', '3-4\n', '5\n']);
    expect(t.read('/sys/devices/system/node/node2/cpumap')).toBe('18\n');
    expect(t.read('/sys/devices/system/node/node2/distance')).toBe('20 20 10 20\n');
    expect(listNames(t.openOk('/sys/devices/system/node/node2', O_DIRECTORY))).toEqual(['.', '..', 'cpu3', 'cpu4', 'cpulist', 'cpumap', 'distance']);
    expect(t.read('/sys/devices/system/node/node2/cpu4/topology/physical_package_id')).toBe('2\n');
  });

  it('one CPU, one node: single numbers, not ranges', () => {
    const t = sysFs(1, 1);
    expect(t.read('/sys/devices/system/cpu/online')).toBe('0\n');
    expect(t.read('/sys/devices/system/node/online')).toBe('0\n');
    expect(t.read('/sys/devices/system/node/node0/cpumap')).toBe('1\n');
  });

  it('more than 32 CPUs: cpumaps in 32-bit groups', () => {
    const t = sysFs(40, 1);
    expect(t.read('/sys/devices/system/cpu/online')).toBe('0-39\n');
    expect(t.read('/sys/devices/system/node/node0/cpumap')).toBe('ff,ffffffff\n');
  });

  it('root-owned, read-only to the guest; attribute files report 4096 bytes', () => {
    const t = sysFs(2, 1);
    const f = t.node('/sys/devices/system/cpu/online');
    expect(typeof f !== 'number' && f.stat()).toMatchObject({ mode: S_IFREG | 0o444, uid: 0, size: 4096 });
    const d = t.node('/sys/devices/system/cpu');
    expect(typeof d !== 'number' && d.stat()).toMatchObject({ mode: S_IFDIR | 0o755, uid: 0 });
    expect(t.open('/sys/devices/system/cpu/online', O_WRONLY)).toBe(EACCES);
    expect(t.open('/sys/new', O_CREAT | O_WRONLY)).toBe(EACCES);
  });
});
