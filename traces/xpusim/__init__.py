"""xpusim's Python package: kernel generators, report and trace tools.

Generated protobuf modules (config_pb2, workload_pb2, report_pb2) come from the build
(build/python); `xpusim.proto` finds them.
"""
