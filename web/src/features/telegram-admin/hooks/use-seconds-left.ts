import { useEffect, useState } from "react";

/**
 * Whole seconds left until `deadline` (milliseconds since the epoch), rendered again as they go
 * by; 0 once it has passed or without one.
 */
export function useSecondsLeft(deadline: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (deadline === null || deadline <= Date.now()) {
      return;
    }
    // Twice a second: a timer that fires late must not skip a second on the screen.
    const timer = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= deadline) {
        clearInterval(timer);
      }
    }, 500);
    return () => clearInterval(timer);
  }, [deadline]);
  return deadline === null ? 0 : Math.max(0, Math.ceil((deadline - now) / 1000));
}
