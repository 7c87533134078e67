"""The device: UART, framed commands, a register bus, and the cores behind it.

- ``register_map``: opcodes and registers, shared with the host (``bitspin.sw.device``);
- ``register_bus``: the bus between the command handler and the register blocks;
- ``command_handler``: PING / READ / WRITE frames turned into bus cycles and responses;
- ``system_block``, ``ising_block``, ``gan_block``: the registers of each part;
- ``soc``: ``DeviceCore`` (byte streams in and out) and ``DeviceTop`` (UART pins).
"""
