"""Strategy `beffroi_wave`: Ansible's `free` strategy inside a wave, plus the play's
`max_fail_percentage` checked when the wave ends (free alone ignores it).

Hosts of a wave run independently (the firewall does not wait for the NVR, one commune does not
wait for another). When the wave is over and more of its hosts failed than the play allows,
every host of the wave is marked failed: Ansible's executor then starts no further `serial`
batch (a whole failed batch ends the play), exactly as `linear` does with max_fail_percentage.
The deploy engine stays Ansible's; this only restores one of its semantics under `free`.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.strategy.free import StrategyModule as FreeStrategy

DOCUMENTATION = """
    name: beffroi_wave
    short_description: free inside a serial batch, max_fail_percentage at the batch's end
    description:
        - Runs a batch like the free strategy, then applies the play's max_fail_percentage to
          the batch so that no further serial batch starts after a failed one.
    author: Beffroi
"""


class StrategyModule(FreeStrategy):
    """`free`, then a wave gate."""

    def run(self, iterator: Any, play_context: Any) -> Any:
        """Run the batch with `free`; stop the next batches when it failed too much."""
        play = iterator._play
        limit = play.max_fail_percentage
        play.max_fail_percentage = None  # free warns it ignores it; the gate below applies it
        try:
            result = super().run(iterator, play_context)
        finally:
            play.max_fail_percentage = limit
        if limit is None:
            return result
        batch = list(self._hosts_cache or [])
        failed = [h for h in batch if h in self._tqm._failed_hosts
                  or h in self._tqm._unreachable_hosts]
        if batch and len(failed) / len(batch) > limit / 100.0:
            for name in batch:
                # an unreachable host already counts once: the executor's "whole batch failed"
                # test is an equality
                if name not in failed:
                    self._tqm._failed_hosts[name] = True
                    iterator.mark_host_failed(self._inventory.get_host(name))
            result |= self._tqm.RUN_FAILED_BREAK_PLAY
        return result
