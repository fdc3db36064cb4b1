// EU868 duty-cycle accountant. Sub-bands and limits as implemented by Semtech's LoRaMac-node
// (src/mac/region/RegionEU868.c VerifyRfFreq, RegionEU868.h EU868_BAND0..5), which implements the
// short-range-device limits of ETSI EN 300 220-2 / CEPT ERC/REC 70-03 Annex 1 for 863-870 MHz that
// LoRaWAN Regional Parameters (RP002-1.0.x, EU863-870) refers to; sub-band names g..g4 are the
// older EN 300 220 designations:
//   863.0–865.0 MHz 0.1 %   865.0–868.0 MHz 1 %   868.0–868.6 MHz 1 % (g1, default channels)
//   868.7–869.2 MHz 0.1 % (g2)   869.4–869.65 MHz 10 % (g3, RX2)   869.7–870.0 MHz 1 % (g4)
// Off-period rule (LoRaWAN Regional Parameters, EU863-870 duty cycle; LoRaMac-node band
// accounting): after a transmission of duration T in a sub-band with duty cycle dc, that sub-band
// stays silent for T·(1/dc − 1), i.e. the next start is at least T/dc after the previous start.
// Holds no module state: every DutyCycle carries its own table (the simulator runs many nodes).

/** EU868 default uplink channels (RP002 EU863-870 default channels, implemented by every device). */
export const EU868_UPLINK_FREQS = [868100000, 868300000, 868500000];
/** EU868 RX2 default frequency (RP002 EU863-870 RX2 defaults: 869.525 MHz, DR0). */
export const EU868_RX2_FREQ = 869525000;

/**
 * Sub-bands, four numbers each: lower edge (Hz), upper edge (Hz), duty cycle as 1/denominator,
 * lower edge inclusive (1) or not (0). One flat typed array rather than nested arrays: on Espruino
 * it is about 10 JsVars instead of 51 (docs/firmware.md "Heap on the real interpreter").
 */
export const EU868_SUBBANDS = new Int32Array([
  863000000, 864999999, 1000, 1, // upper edge exclusive: 865.0 MHz belongs to the 1 % band
  865000000, 868000000, 100, 1,
  868000000, 868600000, 100, 0,
  868700000, 869200000, 1000, 1,
  869400000, 869650000, 10, 1,
  869700000, 870000000, 100, 1,
]);
export const SUBBAND_NONE = -1;

export interface DutyCycle {
  /** Sub-band index for a frequency, or SUBBAND_NONE (-1) outside EU868's permitted bands. */
  subBand(freqHz: number): number;
  /** Earliest time (ms, same clock as nowMs, ≥ nowMs) a transmission may start on freqHz.
   *  Infinity for a frequency outside every permitted sub-band. */
  nextFreeMs(freqHz: number, nowMs: number): number;
  /** Account a transmission starting at nowMs lasting toaMs. Returns the sub-band, or -1 (not recorded). */
  record(freqHz: number, nowMs: number, toaMs: number): number;
  /** Duty cycle (fraction) of a sub-band. */
  dutyCycle(band: number): number;
}

/** Index of the sub-band of `table` (four numbers per band, as EU868_SUBBANDS) holding freqHz, or SUBBAND_NONE. */
export function subBandIn(table: Int32Array, freqHz: number): number {
  const n = table.length / 4;
  for (let i = 0; i < n; i++) {
    const lo = table[i * 4];
    const aboveLo = table[i * 4 + 3] ? freqHz >= lo : freqHz > lo;
    if (aboveLo && freqHz <= table[i * 4 + 1]) return i;
  }
  return SUBBAND_NONE;
}

export function eu868SubBand(freqHz: number): number {
  return subBandIn(EU868_SUBBANDS, freqHz);
}

/** A duty-cycle accountant over any sub-band table (a region's `dutyCycle`). */
export function createDutyCycleFor(table: Int32Array): DutyCycle {
  const n = table.length / 4;
  // readyAt[i]: earliest start time allowed in sub-band i.
  const readyAt = new Float64Array(n);
  for (let i = 0; i < n; i++) readyAt[i] = -Infinity;
  function band(freqHz: number): number {
    return subBandIn(table, freqHz);
  }
  return {
    subBand: band,
    nextFreeMs: function (freqHz: number, nowMs: number): number {
      const b = band(freqHz);
      if (b < 0) return Infinity;
      return readyAt[b] > nowMs ? readyAt[b] : nowMs;
    },
    record: function (freqHz: number, nowMs: number, toaMs: number): number {
      const b = band(freqHz);
      if (b < 0) return SUBBAND_NONE;
      // start + T + T·(1/dc − 1) = start + T/dc
      const next = nowMs + toaMs * table[b * 4 + 2];
      if (next > readyAt[b]) readyAt[b] = next;
      return b;
    },
    dutyCycle: function (b: number): number {
      return b >= 0 && b < n ? 1 / table[b * 4 + 2] : 0;
    },
  };
}

export function createDutyCycle(): DutyCycle {
  return createDutyCycleFor(EU868_SUBBANDS);
}
