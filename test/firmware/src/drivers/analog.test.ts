// Sound level and battery conversions, and their drivers on virtual ADC inputs.
import { describe, it, expect } from 'vitest';
import { VirtualAnalogIn, soundEnvelopeFrac, batteryFrac } from '../../../../sim/devices/adc.ts';
import { SoundLevel, soundDeciDb, SOUND_READS } from '../../../../firmware/src/drivers/sound.ts';
import { Battery, batteryMvFrom } from '../../../../firmware/src/drivers/battery.ts';
import { SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_RANGE } from '../../../../shared/hal/sensor.ts';

describe('sound level', () => {
  it('is 94.0 dB at the calibration point and 20 dB per decade of envelope', () => {
    expect(soundDeciDb(0.5, 0.5)).toBe(940);
    expect(soundDeciDb(0.05, 0.5)).toBe(740);
    expect(soundDeciDb(0.25, 0.5)).toBe(880); // −6.02 dB per halving
  });

  it('reads the virtual input back to 0.1 dB and flags an open or railed input', () => {
    let db = 63.4;
    const adc = new VirtualAnalogIn(() => soundEnvelopeFrac(db, 0.4));
    const s = new SoundLevel(adc, 0.4, SOUND_READS);
    expect(s.measure()).toBe(SENSOR_OK);
    expect(s.levelDeciDb).toBe(634);
    db = 45;
    expect(s.measure()).toBe(SENSOR_OK);
    expect(s.levelDeciDb).toBe(450);
    adc.absent = true;
    expect(s.measure()).toBe(SENSOR_ERR_ABSENT);
    adc.absent = false;
    db = 110;
    expect(s.measure()).toBe(SENSOR_ERR_RANGE);
  });
});

describe('battery divider', () => {
  it('converts ADC fraction through the divider to mV', () => {
    expect(batteryMvFrom(0.6, 3300, 2000)).toBe(3960);
    const adc = new VirtualAnalogIn(() => batteryFrac(3712, 3300, 2000));
    const b = new Battery(adc, 3300, 2000);
    expect(b.readMv()).toBe(3712);
    adc.absent = true;
    expect(b.readMv()).toBe(-1);
  });
});
