// Builds the WebAssembly kernels into build/. (No wasm sources yet.)
console.log("kernels: no WebAssembly sources to build yet");
