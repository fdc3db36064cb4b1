// LoRa time on air. Semtech SX1276/77/78/79 datasheet rev. 7, §4.1.1.6-4.1.1.7 ("LoRa Packet
// Structure", "Time on air") and AN1200.13 "LoRa Modem Designer's Guide" §4:
//   Tsym = 2^SF / BW;  Tpreamble = (Npreamble + 4.25)·Tsym
//   Npayload = 8 + max(ceil((8·PL − 4·SF + 28 + 16·CRC − 20·IH) / (4·(SF − 2·DE)))·(CR + 4), 0)
//   ToA = Tpreamble + Npayload·Tsym
// PL is the whole PHY payload (for LoRaWAN: MHDR..MIC). DE (low data-rate optimisation) is
// mandated by the datasheet (§4.1.1.6, RegModemConfig3.LowDataRateOptimize) when Tsym > 16 ms.
// Computed in integer microseconds per symbol (2^SF·10^6 / BW is exact for 125/250/500 kHz) so
// results equal the published calculator values to the µs, then returned in ms.

/** True when the symbol time exceeds 16 ms: SF11/SF12 at 125 kHz and SF12 at 250 kHz. */
export function lowDataRateOptimize(sf: number, bwHz: number): boolean {
  return (1 << sf) * 1000 > 16 * bwHz;
}

/** Payload symbol count (header + payload + CRC), the Npayload term above. */
export function payloadSymbols(sf: number, cr: number, payloadLen: number, explicitHeader: boolean, crcOn: boolean, lowDr: boolean): number {
  const num = 8 * payloadLen - 4 * sf + 28 + (crcOn ? 16 : 0) - (explicitHeader ? 0 : 20);
  const den = 4 * (sf - (lowDr ? 2 : 0));
  return 8 + Math.max(Math.ceil(num / den) * (cr + 4), 0);
}

/**
 * Time on air in milliseconds. sf 6..12, bwHz (125000/250000/500000), cr 1..4 for 4/5..4/8,
 * payloadLen = PHY payload bytes, preamble symbols (8 for LoRaWAN). Positional, no defaults
 * (device code). Low data-rate optimisation is chosen automatically (Tsym > 16 ms).
 */
export function timeOnAirMs(sf: number, bwHz: number, cr: number, payloadLen: number, preamble: number, explicitHeader: boolean, crcOn: boolean): number {
  const tSymUs = (1 << sf) * 1000000 / bwHz;
  const nPay = payloadSymbols(sf, cr, payloadLen, explicitHeader, crcOn, lowDataRateOptimize(sf, bwHz));
  // (Npre + 4.25)·Tsym written as (4·Npre + 17)·Tsym / 4 to stay in exact arithmetic.
  const us = (4 * preamble + 17) * tSymUs / 4 + nPay * tSymUs;
  return us / 1000;
}
