// One clock for every bench process: wall-clock-anchored and sub-millisecond, so a timestamp taken
// in the sink can be compared with one taken in the parent (both read the same system clock).
export const now = () => performance.timeOrigin + performance.now()

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
