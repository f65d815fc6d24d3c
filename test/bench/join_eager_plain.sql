\set m random(1, 999000)
SELECT id, space_id, display_name, status FROM bench_plain.members
 WHERE id = ANY (ARRAY[:m, :m + 37, :m + 74, :m + 111, :m + 148, :m + 185, :m + 222, :m + 259,
					  :m + 296, :m + 333, :m + 370, :m + 407, :m + 444, :m + 481, :m + 518,
					  :m + 555, :m + 592, :m + 629, :m + 666, :m + 703]::bigint[])
   AND deleted_at IS NULL;
