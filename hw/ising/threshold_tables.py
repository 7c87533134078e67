"""How each lane of the Ising core looks up its Metropolis or heat-bath threshold.

"mux" selects from the shared table register (a 10:1 mux of k+1 bits per lane, about 100 LUT4 on
ECP5); "lutram" gives every lane its own copy in distributed RAM (5 DPR16X4 per lane on ECP5),
written from the shared table at the start of a RUN; "auto" picks "lutram" on ECP5 and "mux"
elsewhere (iCE40 has no distributed RAM).
"""

from amaranth import unsigned
from amaranth.lib.memory import Memory

from .params import TABLE_SIZE
from .timing import data_reg

__all__ = ["THRESHOLD_TABLES", "TABLE_GROUP", "table_load_cycles", "uses_lutram",
           "lutram_lane_tables"]

THRESHOLD_TABLES = ("auto", "mux", "lutram")
# The table write reaches the lanes through a chain of registers, one per TABLE_GROUP lanes, so no
# net fans out to all lanes (broadcast to 64 lanes it needed 10 ns of routing alone on ECP5).
TABLE_GROUP = 16


def table_load_cycles(lanes: int) -> int:
    """Clocks between a RUN's (or hot start's) start and its first pass: the table's entries, then
    the write chain's latency."""
    return TABLE_SIZE + -(-lanes // TABLE_GROUP)


def uses_lutram(threshold_table: str, platform) -> bool:
    """Whether ``threshold_table`` ("auto", "mux" or "lutram") means per-lane tables here."""
    return threshold_table == "lutram" or (
        threshold_table == "auto" and getattr(platform, "family", None) == "ecp5")


def lutram_lane_tables(m, lanes: int, k: int, table, table_addr, table_we, table_step,
                       indices) -> list:
    """Per-lane copies of the threshold table in distributed RAM, written one entry per clock
    through a register chain; returns each lane's looked-up threshold (read at ``indices[i]``)."""
    lane_tables = []
    chain = []      # (addr, data, we) registered once per group of TABLE_GROUP lanes
    source = (table_addr, table[table_addr], table_we & (table_step < TABLE_SIZE))
    for group in range(-(-lanes // TABLE_GROUP)):
        # reset_less: a stale write enable is flushed by the chain within P/16 clocks
        stage = (data_reg(4, name=f"table_waddr{group}"),
                 data_reg(k + 1, name=f"table_wdata{group}"),
                 data_reg(1, name=f"table_we{group}"))
        m.d.sync += [mine.eq(theirs) for mine, theirs in zip(stage, source)]
        chain.append(stage)
        source = stage
    for i in range(lanes):
        memory = Memory(shape=unsigned(k + 1), depth=TABLE_SIZE, init=[])
        m.submodules[f"table{i}"] = memory
        write, read = memory.write_port(), memory.read_port(domain="comb")
        waddr, wdata, we = chain[i // TABLE_GROUP]
        m.d.comb += [write.addr.eq(waddr), write.data.eq(wdata), write.en.eq(we),
                     read.addr.eq(indices[i])]
        lane_tables.append(read.data)
    return lane_tables
