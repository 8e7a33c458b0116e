// Loaded into `medusa start` by the tests (node --require): the server ends when its standard
// input closes, which happens when the test run that started it ends, however it ends.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
