-- Oral appeals at a personal reception now have figures of their own in the statistics rollup
-- (`o_appeals`, `o_channel`, …), read into the totals or not by `[statistics]
-- oral_reception_in_totals`. Rollups built before lack them: marked unbuilt, they are built again
-- from the appeals by the next `serve` (in the background; statistics are counted by the scan
-- meanwhile) or by `appeals stats rebuild`.
DELETE FROM stats_rollup_state;
