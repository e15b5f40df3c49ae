// Preloaded (--import) into the processes bench/whole.ts times: at exit, writes the process's CPU time, all
// its threads together, to the file named by BENCH_CPU_FILE.
import fs from 'node:fs';

const file = process.env.BENCH_CPU_FILE;
if (file) process.on('exit', () => fs.writeFileSync(file, JSON.stringify(process.cpuUsage())));
