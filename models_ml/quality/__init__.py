"""Voice quality maths: the ITU-T G.107 E-model and per-call quality from RTCP (docs/quality.md)."""

from models_ml.quality.emodel import (
    CODECS,
    DEFAULT_RO,
    CodecImpairment,
    EModelTerms,
    codec_impairment,
    delay_impairment,
    effective_equipment_impairment,
    emodel,
    mos_from_r,
    one_way_delay_ms,
)
from models_ml.quality.rtcp import (
    CallQuality,
    ReportBlock,
    call_quality,
    parse_report_block,
    rtt_ms_from_lsr_dlsr,
)

__all__ = [
    "CODECS",
    "DEFAULT_RO",
    "CallQuality",
    "CodecImpairment",
    "EModelTerms",
    "ReportBlock",
    "call_quality",
    "codec_impairment",
    "delay_impairment",
    "effective_equipment_impairment",
    "emodel",
    "mos_from_r",
    "one_way_delay_ms",
    "parse_report_block",
    "rtt_ms_from_lsr_dlsr",
]
