/**
 * Compiling a WebAssembly kernel once per process: the module is built on first use and kept;
 * `null` where WebAssembly (or the SIMD the kernels use) is unavailable, so callers fall back to
 * their JavaScript loops. Browser-safe.
 */
export function wasmModuleOnce(bytes: () => Uint8Array<ArrayBuffer>): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        const b = bytes();
        compiled = typeof WebAssembly !== 'undefined' && WebAssembly.validate(b) ? new WebAssembly.Module(b) : null;
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}
