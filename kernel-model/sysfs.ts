// /sys: the CPU and NUMA topology programs (and glibc's get_nprocs and
// sysconf(_SC_NPROCESSORS_CONF)) read (drivers/base/cpu.c, node.c,
// topology.c). Every vCPU is online; CPUs are split evenly across NUMA
// nodes, one package per node, one thread per core. Files are root-owned
// and report st_size 4096, as sysfs attributes do.

import { bitmapHex, bitmapList, cpusOfNode, GenDir, GenFile, GenLink, nodeOfCpu, type SystemView } from './procfs.js';
import type { Caller, DirectoryNode, SuperBlock, Vfs, VfsNode } from './vfs.js';

const SYSFS_FILE_SIZE = 4096;
/** NR_CPUS - 1 for distribution kernels (CONFIG_NR_CPUS = 8192). */
const KERNEL_MAX = 8191;
const LOCAL_DISTANCE = 10;
const REMOTE_DISTANCE = 20;

type Entry = [string, () => VfsNode];

/** Builds /sys under `parent`; the topology comes from vfs.system. */
export function createSysfs(sb: SuperBlock, parent: DirectoryNode, vfs: Vfs): DirectoryNode {
  const time = vfs.now();
  const topo = (): Pick<SystemView, 'cpus' | 'nodes'> => vfs.system ?? { cpus: 1, nodes: 1 };
  const dir = (p: DirectoryNode, name: string, key: string, children: (caller: Caller) => Entry[]): DirectoryNode =>
    new GenDir(sb, p, name, key, { mode: 0o755 }, time, children);
  const file = (key: string, text: () => string): (() => VfsNode) => () => new GenFile(sb, key, { mode: 0o444 }, time, text, undefined, SYSFS_FILE_SIZE);
  const link = (key: string, target: string): (() => VfsNode) => () => new GenLink(sb, key, { mode: 0o777 }, time, () => target);
  const all = () => `${bitmapList((1n << BigInt(topo().cpus)) - 1n, topo().cpus)}\n`;
  const nodesAll = () => `${bitmapList((1n << BigInt(topo().nodes)) - 1n, topo().nodes)}\n`;
  const list = (cpus: number[]) => `${bitmapList(mask(cpus), topo().cpus)}\n`;
  const map = (cpus: number[]) => `${bitmapHex(mask(cpus), topo().cpus)}\n`;

  const root: DirectoryNode = dir(parent, 'sys', '/', () => [
    ['devices', () => devices],
    ['kernel', () => dir(root, 'kernel', '/kernel', () => [])],
    ['fs', () => dir(root, 'fs', '/fs', () => [])],
  ]);
  const devices: DirectoryNode = dir(root, 'devices', '/devices', () => [['system', () => system]]);
  // Without the machine's view the topology is unknown: no cpu/ and node/ (glibc then asks sched_getaffinity).
  const system: DirectoryNode = dir(devices, 'system', '/devices/system', () =>
    vfs.system
      ? [
          ['cpu', () => cpuDir],
          ['node', () => nodeDir],
        ]
      : [],
  );

  const cpuDir: DirectoryNode = dir(system, 'cpu', '/devices/system/cpu', () => {
    const { cpus } = topo();
    const out: Entry[] = [];
    for (let c = 0; c < cpus; c++) out.push([`cpu${c}`, () => cpuN(c)]);
    out.push(
      ['kernel_max', file('/cpu/kernel_max', () => `${KERNEL_MAX}\n`)],
      ['offline', file('/cpu/offline', () => '\n')],
      ['online', file('/cpu/online', all)],
      ['possible', file('/cpu/possible', all)],
      ['present', file('/cpu/present', all)],
    );
    return out;
  });

  function cpuN(c: number): DirectoryNode {
    const key = `/devices/system/cpu/cpu${c}`;
    const d: DirectoryNode = dir(cpuDir, `cpu${c}`, key, () => {
      const { cpus, nodes } = topo();
      const node = nodeOfCpu(c, cpus, nodes);
      const pkg = cpusOfNode(node, cpus, nodes);
      const out: Entry[] = [];
      // cpu0 cannot be taken offline on x86: no "online" file.
      if (c > 0) out.push(['online', file(`${key}/online`, () => '1\n')]);
      out.push([`node${node}`, link(`${key}/node${node}`, `../../node/node${node}`)]);
      out.push([
        'topology',
        () =>
          dir(d, 'topology', `${key}/topology`, () => [
            ['cluster_cpus_list', file(`${key}/topology/cluster_cpus_list`, () => list([c]))],
            ['cluster_id', file(`${key}/topology/cluster_id`, () => `${pkg.indexOf(c)}\n`)],
            ['core_cpus_list', file(`${key}/topology/core_cpus_list`, () => list([c]))],
            ['core_id', file(`${key}/topology/core_id`, () => `${pkg.indexOf(c)}\n`)],
            ['core_siblings', file(`${key}/topology/core_siblings`, () => map(pkg))],
            ['core_siblings_list', file(`${key}/topology/core_siblings_list`, () => list(pkg))],
            ['die_cpus_list', file(`${key}/topology/die_cpus_list`, () => list(pkg))],
            ['die_id', file(`${key}/topology/die_id`, () => '0\n')],
            ['package_cpus_list', file(`${key}/topology/package_cpus_list`, () => list(pkg))],
            ['physical_package_id', file(`${key}/topology/physical_package_id`, () => `${node}\n`)],
            ['thread_siblings', file(`${key}/topology/thread_siblings`, () => map([c]))],
            ['thread_siblings_list', file(`${key}/topology/thread_siblings_list`, () => list([c]))],
          ]),
      ]);
      return out;
    });
    return d;
  }

  const nodeDir: DirectoryNode = dir(system, 'node', '/devices/system/node', () => {
    const { nodes } = topo();
    const out: Entry[] = [];
    for (let n = 0; n < nodes; n++) out.push([`node${n}`, () => nodeN(n)]);
    out.push(
      ['has_cpu', file('/node/has_cpu', nodesAll)],
      ['has_memory', file('/node/has_memory', nodesAll)],
      ['has_normal_memory', file('/node/has_normal_memory', nodesAll)],
      ['online', file('/node/online', nodesAll)],
      ['possible', file('/node/possible', nodesAll)],
    );
    return out;
  });

  function nodeN(n: number): DirectoryNode {
    const key = `/devices/system/node/node${n}`;
    return dir(nodeDir, `node${n}`, key, () => {
      const { cpus, nodes } = topo();
      const mine = cpusOfNode(n, cpus, nodes);
      const out: Entry[] = mine.map((c) => [`cpu${c}`, link(`${key}/cpu${c}`, `../../cpu/cpu${c}`)] as Entry);
      out.push(
        ['cpulist', file(`${key}/cpulist`, () => list(mine))],
        ['cpumap', file(`${key}/cpumap`, () => map(mine))],
        ['distance', file(`${key}/distance`, () => {
          const d: number[] = [];
          for (let m = 0; m < nodes; m++) d.push(m === n ? LOCAL_DISTANCE : REMOTE_DISTANCE);
          return `${d.join(' ')}\n`;
        })],
      );
      return out;
    });
  }

  return root;
}

function mask(cpus: number[]): bigint {
  let m = 0n;
  for (const c of cpus) m |= 1n << BigInt(c);
  return m;
}
