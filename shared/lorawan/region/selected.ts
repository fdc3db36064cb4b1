// The region a node bundle is built for. Node code imports REGION from here; the firmware build
// (firmware/build/region.ts) resolves this file to the chosen region's file instead, so a bundle
// holds exactly one region's tables. Run as it is (simulator, tests) it is EU868, the default.
export { EU868 as REGION } from './eu868.ts';
