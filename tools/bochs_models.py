"""The Bochs 2.7 CPU models: the list Bochs gives (`bochs --help cpu`, asked
once a process) and, in one table, what each model offers vmxboot: long
mode, VMX, and of VMX the features the VMM's plans depend on (EPT,
unrestricted guest, the VMX-preemption timer) and its VMCS revision.

The facts are docs/bochs.md's "CPU models", read from the models' capability
MSRs inside Bochs (tests/bochs/vmx_msrs_bochs27.txt, which the unit tests
read; test_boot.py's CpuMatrix holds this table against that capture and
against the list Bochs gives). Used by `make run` (tools/bochs_boot.py), the
integration tests and `make bench`.
"""
import functools
import subprocess
from typing import NamedTuple, Optional


class Model(NamedTuple):
    long_mode: bool
    vmx: bool
    ept: bool = False
    unrestricted_guest: bool = False
    preemption_timer: bool = False
    vmcs_revision: Optional[int] = None  # IA32_VMX_BASIC bits 30:0 (models vmxboot runs on)


_32_BIT = Model(long_mode=False, vmx=False)
_NO_VMX = Model(long_mode=True, vmx=False)
_CORE2 = Model(long_mode=True, vmx=True, vmcs_revision=0x2B)
_LYNNFIELD = Model(long_mode=True, vmx=True, ept=True, preemption_timer=True, vmcs_revision=0x2B)
_UNRESTRICTED = Model(long_mode=True, vmx=True, ept=True, unrestricted_guest=True,
                      preemption_timer=True, vmcs_revision=0x2B)

# Every model Bochs 2.7 lists, in docs/bochs.md's order (the order the tests
# boot them in).
MODELS = {
    "pentium": _32_BIT,
    "pentium_mmx": _32_BIT,
    "amd_k6_2_chomper": _32_BIT,
    "p2_klamath": _32_BIT,
    "p3_katmai": _32_BIT,
    "p4_willamette": _32_BIT,
    # VMX without long mode: the VMM, 64-bit, never gets there.
    "core_duo_t2400_yonah": Model(long_mode=False, vmx=True),
    "atom_n270": _32_BIT,
    "p4_prescott_celeron_336": _NO_VMX,
    "athlon64_clawhammer": _NO_VMX,
    "athlon64_venice": _NO_VMX,
    "turion64_tyler": _NO_VMX,
    "phenom_8650_toliman": _NO_VMX,
    "zambezi": _NO_VMX,
    "trinity_apu": _NO_VMX,
    "ryzen": _NO_VMX,
    "bx_generic": _CORE2,
    "core2_penryn_t9600": _CORE2,
    "corei5_lynnfield_750": _LYNNFIELD,
    "corei5_arrandale_m520": _UNRESTRICTED,
    "corei7_sandy_bridge_2600k": _UNRESTRICTED,
    "corei7_ivy_bridge_3770k": _UNRESTRICTED,
    "corei7_haswell_4770": _UNRESTRICTED,
    "broadwell_ult": _UNRESTRICTED,
    "corei7_skylake_x": _UNRESTRICTED,
    "corei3_cnl": _UNRESTRICTED,
    "corei7_icelake_u": _UNRESTRICTED._replace(vmcs_revision=0x4),
    "tigerlake": _UNRESTRICTED._replace(vmcs_revision=0x4),
}


def select(**facts):
    """The models (in MODELS' order) with these facts, e.g.
    select(long_mode=True, vmx=True, unrestricted_guest=True)."""
    return [name for name, model in MODELS.items()
            if all(getattr(model, fact) == value for fact, value in facts.items())]


def vmx_models():
    """The models the VMM runs on: long mode and VMX."""
    return select(long_mode=True, vmx=True)


def expected_result(name):
    """The result code vmxboot's demo ends with on model NAME."""
    model = MODELS[name]
    if not model.long_mode:
        return "no-long-mode"
    return "ok" if model.vmx else "no-vmx"


@functools.lru_cache(maxsize=None)
def discovered():
    """The models this Bochs emulates (`bochs --help cpu`), in its order."""
    out = subprocess.run(["bochs", "--help", "cpu"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    lines = text.split("Supported CPU models:", 1)[1].splitlines()
    return tuple(l.strip() for l in lines if l.strip() and " " not in l.strip() and "[" not in l)
