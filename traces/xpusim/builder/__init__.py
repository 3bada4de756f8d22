"""The kernel builder: write xasm from Python with virtual registers (docs/kernels.md).

    from xpusim.builder import Kernel
    k = Kernel("name", params="x:u64 n:u32")
    ...
    k.xasm(LatencyTable.from_config("configs/gpu/a100.textproto"))
"""

from .kernel import BuildError, Const, Inst, Kernel
from .latency import LatencyTable
from .regs import Mem, NotPred, VPred, VReg, Word
from .swizzle import Swizzle, ldsm_phase_conflicts
from .workload import Workload

__all__ = ["BuildError", "Const", "Inst", "Kernel", "LatencyTable", "Mem", "NotPred", "VPred",
           "VReg", "Word", "Swizzle", "ldsm_phase_conflicts", "Workload"]
