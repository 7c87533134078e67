"""The device's opcodes and register map: the one definition shared by the gateware and the host.

The protocol carries three requests (see :class:`Opcode`): PING, READ and WRITE of 32-bit
registers. Everything the device does is a register: the identity, the free-running cycle
counter, and each core's controls, counters and data ports.

READ  payload: ``address u16 | count u16 | flags u8``          → OK, count × 4 data bytes
WRITE payload: ``address u16 | flags u8 | count × 4 data bytes`` → OK, empty
(all little-endian; ``flags`` bit 0 = FIXED: every word goes to the same address, for the data
ports; otherwise the address increments per word). Bad lengths or counts answer BAD_ARGUMENT.

Register access kinds: ``r`` (read), ``w`` (write; a write may act as a strobe), ``rw``,
``pop`` (reading takes the next word of a FIFO; reading an empty one gives 0 and takes nothing)
and ``push`` (writing feeds a staging register).

The map depends on which cores a device carries and on their parameters (the lattice word width,
the GAN engine's memory widths): :func:`device_register_map` builds it from them, and the host
rebuilds the same map from the parameters in the device's identity.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Opcode", "READ_FLAG_FIXED", "MAX_WORDS", "MAGIC", "PROTOCOL_VERSION", "Register",
           "RegisterMap", "device_register_map", "SYSTEM_BASE", "IDENTITY_BASE", "ISING_BASE",
           "GAN_BASE", "BLOCK_WORDS", "BLOCK_ADDRESS_BITS", "BLOCK_SELECT_BITS", "ADDRESS_BITS",
           "block_index", "IsingStatusBits", "GanStatusBits", "JOB_TAG_BITS", "OBSERVABLE_BITS",
           "JOB_HEADER_MARK", "job_header", "observable_record", "JobStateBits"]

MAGIC = 0x4953_5042          # "BPSI" in little-endian bytes: b"BPSI"
PROTOCOL_VERSION = 3
READ_FLAG_FIXED = 0x01
MAX_WORDS = 255              # per READ or WRITE: 255 × 4 bytes fit one 1024-byte payload

SYSTEM_BASE = 0x0000
IDENTITY_BASE = 0x0100       # the identity JSON, 4 bytes per word, little-endian, 0-padded
IDENTITY_WORDS = 0x300       # up to 3 KiB of identity text
ISING_BASE = 0x1000
GAN_BASE = 0x2000
ADDRESS_BITS = 16            # a request's word address
BLOCK_ADDRESS_BITS = 12      # each block decodes the low 12 address bits; the rest select it
BLOCK_SELECT_BITS = ADDRESS_BITS - BLOCK_ADDRESS_BITS
BLOCK_WORDS = 1 << BLOCK_ADDRESS_BITS


def block_index(base: int) -> int:
    """The block select (the address bits above a block's own) of a block at ``base``."""
    if base % BLOCK_WORDS:
        raise ValueError(f"a block base must be a multiple of {BLOCK_WORDS:#x}, not {base:#x}")
    return base >> BLOCK_ADDRESS_BITS


class Opcode(enum.IntEnum):
    """The ``code`` byte of a request."""
    PING = 0x00      # echo the payload
    READ = 0x01
    WRITE = 0x02


#: Width of a job tag (ISING_JOB_TAG, GAN_JOB_TAG).
JOB_TAG_BITS = 16
#: M and B sit in the low OBSERVABLE_BITS of their ISING_OBS_DATA words (two's complement; for
#: L <= 1024, |B| <= 2 L^2 = 2^21 fits); the top byte of M's word is the run's tag's low byte,
#: of B's word its high byte, so every record says which job wrote it.
OBSERVABLE_BITS = 24
#: The high half of a GAN image's header word (its low half is the job tag).
JOB_HEADER_MARK = 0xB175


def job_header(tag: int) -> int:
    """The word before each GAN image's pixels: :data:`JOB_HEADER_MARK` and the job tag."""
    return JOB_HEADER_MARK << JOB_TAG_BITS | (tag & ((1 << JOB_TAG_BITS) - 1))


def observable_record(word_m, word_b):
    """(M, B, tag) of ISING_OBS_DATA records: two words (ints, or int64 arrays of them)."""
    mask, sign = (1 << OBSERVABLE_BITS) - 1, 1 << (OBSERVABLE_BITS - 1)
    tag = (word_m >> OBSERVABLE_BITS) | (word_b >> OBSERVABLE_BITS) << (32 - OBSERVABLE_BITS)
    return ((word_m & mask) ^ sign) - sign, ((word_b & mask) ^ sign) - sign, tag


class JobStateBits(enum.IntFlag):
    """ISING_JOB_STATE and GAN_JOB_STATE: what happened since the host wrote the job tag."""
    STARTS = 0b011       # starts the core took, saturating at 3
    EMPTY_READ = 0b100   # the output FIFO was read while empty (that read returned 0)


class IsingStatusBits(enum.IntFlag):
    BUSY = 1


class GanStatusBits(enum.IntFlag):
    BUSY = 1
    READY = 2        # idle, and the pixel FIFO has room for a whole image


@dataclass(frozen=True)
class Register:
    """One 32-bit register (or the first of ``count`` consecutive ones)."""
    name: str
    address: int
    access: str
    description: str
    count: int = 1

    def __post_init__(self):
        if self.access not in ("r", "w", "rw", "pop", "push"):
            raise ValueError(f"register {self.name}: unknown access {self.access!r}")
        if not 0 <= self.address <= 0xFFFF or self.count < 1:
            raise ValueError(f"register {self.name}: bad address or count")


class RegisterMap:
    """Registers by name; addresses are unique and every block's registers stay in its block."""

    def __init__(self, registers: list[Register]):
        self.registers = {r.name: r for r in registers}
        if len(self.registers) != len(registers):
            raise ValueError("register names must be unique")
        taken: dict[int, str] = {}
        for r in registers:
            for a in range(r.address, r.address + r.count):
                if a in taken:
                    raise ValueError(f"registers {taken[a]} and {r.name} overlap at {a:#06x}")
                taken[a] = r.name

    def __getitem__(self, name: str) -> Register:
        try:
            return self.registers[name]
        except KeyError:
            raise KeyError(f"no register {name!r} in this device's map") from None

    def __contains__(self, name: str) -> bool:
        return name in self.registers

    def address(self, name: str, index: int = 0) -> int:
        r = self[name]
        if not 0 <= index < r.count:
            raise IndexError(f"register {name} has {r.count} words, not {index + 1}")
        return r.address + index

    def local(self, name: str, index: int = 0) -> int:
        """The address within its block (the low 12 bits), as the block decodes it."""
        return self.address(name, index) % BLOCK_WORDS

    def ranges(self) -> list[tuple[int, int]]:
        """The mapped addresses as sorted, merged ``[start, end)`` ranges (what the command
        handler accepts; anything else is refused)."""
        merged: list[list[int]] = []
        for r in sorted(self.registers.values(), key=lambda r: r.address):
            if merged and merged[-1][1] == r.address:
                merged[-1][1] = r.address + r.count
            else:
                merged.append([r.address, r.address + r.count])
        return [(start, end) for start, end in merged]

    def markdown(self) -> str:
        """The map as the markdown table of docs/device.md (tests check the two agree)."""
        rows = ["| register | address | access | meaning |", "|---|---|---|---|"]
        for r in self.registers.values():
            address = f"{r.address:#06x}" + (f" (+{r.count - 1})" if r.count > 1 else "")
            rows.append(f"| `{r.name}` | {address} | {r.access} | {r.description} |")
        return "\n".join(rows)

    def as_table(self) -> list[dict]:
        return [{"name": r.name, "address": r.address, "count": r.count, "access": r.access,
                 "description": r.description} for r in self.registers.values()]


def _words(bits: int) -> int:
    return max(1, -(-bits // 32))


def _system() -> list[Register]:
    s = SYSTEM_BASE
    return [
        Register("MAGIC", s + 0, "r", f"{MAGIC:#010x}: this is a bitspin device"),
        Register("PROTOCOL_VERSION", s + 1, "r", "version of this register map"),
        Register("IDENTITY_BYTES", s + 2, "r", "length of the identity JSON in bytes"),
        Register("CLOCK_HZ", s + 3, "r", "frequency of the device clock"),
        Register("CYCLES_LO", s + 4, "r", "free-running cycle counter, low word; reading it "
                 "latches the high word"),
        Register("CYCLES_HI", s + 5, "r", "the high word latched by the last CYCLES_LO read"),
        Register("SCRATCH", s + 6, "rw", "free for the host (link tests)"),
        Register("ERRORS", s + 7, "r", "frames rejected since reset (bad CRC, length, timeout)"),
        Register("ABORT", s + 8, "w", "write 1: stop every job in flight and empty every output "
                 "FIFO (lattice, model and registers stay); the host does it on opening"),
        Register("IDENTITY", IDENTITY_BASE, "r", "identity JSON, 4 bytes per word",
                 IDENTITY_WORDS),
    ]


def _ising(params) -> list[Register]:
    b = ISING_BASE
    words = _words(params.memory_word_bits)
    return [
        Register("ISING_COMMAND", b + 0, "w", "write an IsingOp value to start it"),
        Register("ISING_STATUS", b + 1, "r", "bit 0: busy"),
        Register("ISING_SEED_LO", b + 2, "rw", "64-bit seed, low word"),
        Register("ISING_SEED_HI", b + 3, "rw", "64-bit seed, high word"),
        Register("ISING_SWEEPS", b + 4, "rw", "sweeps of the next RUN"),
        Register("ISING_OBS_LEVEL", b + 5, "r", "words waiting in the observables FIFO"),
        Register("ISING_OBS_DATA", b + 6, "pop", "M then B of each sweep: 24-bit "
                 "two's complement, the top byte a byte of ISING_JOB_TAG"),
        Register("ISING_LATTICE_ADDR", b + 7, "rw", "lattice word for LATTICE_DATA"),
        Register("ISING_LATTICE_WRITE", b + 8, "w", "write the staged word at LATTICE_ADDR, "
                 "then increment LATTICE_ADDR"),
        Register("ISING_UPDATE_CYCLES_LO", b + 9, "r", "clocks in which lanes updated since reset, low"),
        Register("ISING_UPDATE_CYCLES_HI", b + 10, "r", "… high 16 bits"),
        Register("ISING_RUN_CYCLES_LO", b + 11, "r", "clocks RUN spent computing since reset "
                 "(waits for the host excluded), low"),
        Register("ISING_RUN_CYCLES_HI", b + 12, "r", "… high 16 bits"),
        Register("ISING_FLIPS_LO", b + 13, "r", "accepted flips since reset, low"),
        Register("ISING_FLIPS_HI", b + 14, "r", "… high 16 bits"),
        Register("ISING_JOB_TAG", b + 15, "rw", "16-bit tag of the next job, written before "
                 "each start (ignored while busy); clears ISING_JOB_STATE"),
        Register("ISING_THRESHOLDS", b + 0x10, "rw", "the 10-entry threshold table (k + 1 bits "
                 "each) of the tile ISING_TILE selects", 10),
        Register("ISING_STALL_CYCLES_LO", b + 0x1A, "r", "clocks RUN waited for the host to read "
                 "observables since reset, low"),
        Register("ISING_STALL_CYCLES_HI", b + 0x1B, "r", "… high 16 bits"),
        Register("ISING_JOB_STATE", b + 0x1C, "r", "JobStateBits since ISING_JOB_TAG was "
                 "written (or ABORT): starts taken (saturating at 3), an empty OBS_DATA read"),
        Register("ISING_TILE", b + 0x1E, "rw", "the tile (replica) that THRESHOLDS, the "
                 "lattice registers and SUMS address; commands go to every tile, and OBS_DATA "
                 "holds each sweep's records in tile order"),
        Register("ISING_LATTICE_DATA", b + 0x20, "rw", "read: the word at LATTICE_ADDR; "
                 "write: the staged word (32 bits per register; with couplings the spins, "
                 "then the right-bond and the down-bond signs)", words),
    ] + (_ising_sums() if params.sums else [])


def _ising_sums() -> list[Register]:
    from bitspin.hw.ising.sums_spec import OBSERVABLE_SUMS, SUM_WORDS
    b = ISING_BASE
    return [
        Register("ISING_OBS_EVERY", b + 0x1D, "rw", "RUN forwards every k-th sweep's record to "
                 "OBS_DATA (1: all, 0: none); latched at the start"),
        Register("ISING_SUMS", b + 0x800, "r", f"the last RUN's sums {', '.join(OBSERVABLE_SUMS)}"
                 f" of its records, {SUM_WORDS} words each, low first, two's complement",
                 SUM_WORDS * len(OBSERVABLE_SUMS)),
    ]


def _gan(plan, load_data_bits: int) -> list[Register]:
    b = GAN_BASE
    z_words = _words(plan.config.z_dim)
    return [
        Register("GAN_COMMAND", b + 0, "w", "write 1 to start an image from Z_VALUE/Z_MASK/LABEL"),
        Register("GAN_STATUS", b + 1, "r", "bit 0: busy, bit 1: ready for a start"),
        Register("GAN_LABEL", b + 2, "rw", "the digit to draw"),
        Register("GAN_IMAGE_CYCLES", b + 3, "r", "clocks of the last image"),
        Register("GAN_IMAGES", b + 4, "r", "images computed since reset"),
        Register("GAN_PIXEL_LEVEL", b + 5, "r", "words waiting in the pixel FIFO"),
        Register("GAN_PIXEL_DATA", b + 6, "pop", "per image job_header(tag), then "
                 "four pixels per word, first in the low byte"),
        Register("GAN_LOAD_TARGET", b + 7, "rw", "bitspin.hw.gan.load_map.LoadTarget of the next loads"),
        Register("GAN_LOAD_ADDR", b + 8, "rw", "memory word of the next load; increments"),
        Register("GAN_LOAD_DATA", b + 9, "push", f"32 bits of a memory word, low first; after "
                 f"{_words(load_data_bits)} pushes the word is written"),
        Register("GAN_MODEL_TAG", b + 10, "rw", "names the loaded model (the first 32 bits of "
                 "its engine-image SHA-256); 0 = no model. The host writes it after a load"),
        Register("GAN_JOB_TAG", b + 11, "rw", "16-bit tag of the next image, written before "
                 "each start (ignored while an image is in flight); clears GAN_JOB_STATE"),
        Register("GAN_JOB_STATE", b + 12, "r", "JobStateBits since GAN_JOB_TAG was written (or "
                 "ABORT): starts taken (saturating at 3), an empty PIXEL_DATA read"),
        Register("GAN_Z_VALUE", b + 0x10, "rw", "bit i: z_i > 0 (writes ignored while busy)", z_words),
        Register("GAN_Z_MASK", b + 0x20, "rw", "bit i: z_i != 0 (writes ignored while busy)", z_words),
    ]


def device_register_map(ising=None, gan_plan=None, gan_load_bits: int = 0) -> RegisterMap:
    """The map of a device with an Ising core of ``ising`` (IsingParams) and/or a GAN engine
    for ``gan_plan`` (EnginePlan) whose load port is ``gan_load_bits`` wide."""
    registers = _system()
    if ising is not None:
        registers += _ising(ising)
    if gan_plan is not None:
        if _words(gan_plan.config.z_dim) > 16:
            raise ValueError("z_dim above 512 does not fit the GAN register block")
        registers += _gan(gan_plan, gan_load_bits)
    return RegisterMap(registers)
