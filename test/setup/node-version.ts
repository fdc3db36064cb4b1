// Vitest global setup: says which Node runs the suite, so a CI log shows it, and refuses to run on
// another major than the one CI asked for (KERB_TEST_NODE_MAJOR), so a PATH mistake cannot pass
// silently as a green run on the wrong Node.
export default function setup(): void {
  const major = process.versions.node.split('.')[0];
  console.log(`test: node ${process.version} (${process.execPath})`);
  const want = process.env.KERB_TEST_NODE_MAJOR;
  if (want !== undefined && want !== '' && want !== major) {
    throw new Error(`test: KERB_TEST_NODE_MAJOR=${want} but the suite runs on node ${process.version}; put that Node first on PATH`);
  }
}
