export * from './clock.ts';
export * from './radio.ts';
export * from './bus.ts';
export * from './store.ts';
export * from './power.ts';
export * from './sensor.ts';
