import * as ort from 'onnxruntime-node';

// onnxruntime-node 1.30's POSIX telemetry (Microsoft's 1DS SDK) runs when onnxruntime creates its
// environment: it reads /proc/self/cmdline and matches it with a libstdc++ std::regex, whose executor
// recurses once per character, so a command line of ~14 KB or more overflows the stack of the thread
// creating the session (exit 139). It would also collect machine details for upload. Turning it off
// skips that code entirely. onnxruntime reads the variable with getenv(), so it must be set in the main
// thread (a worker thread's process.env is a private copy) before any session is created.
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}

/** A CPU session as every face model runs: telemetry off, `threads` intra-op threads, full graph optimisation. */
export function cpuSession(modelPath: string, threads = 1): Promise<ort.InferenceSession> {
  disableOrtTelemetry();
  return ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}
