"""The B-DCGAN generator engine: XNOR-popcount layers, the integer last layer, the sigmoid table.

- ``plan``: every layer as a generalized transposed convolution; memory layout and cycle count;
- ``xnor_popcount``: the array of M lanes that XNOR-popcount B bits each per clock;
- ``integer_lane``: the last layer's B-input signed adder tree;
- ``sequencer``: the loop nest that issues one (pixel, group, tap, chunk) per clock;
- ``engine``: memories, pipeline and output FIFO.
"""
