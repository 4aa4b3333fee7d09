"""Short call transcripts (3-8 speaker turns) for a sample of answered inbound calls.

Turns come from templates by intent (each queue has a typical one); offsets are spread over the
call's billable time in proportion to how long each turn is. Calls answered on a carrier during a
quality incident get lower ASR confidence and a customer complaining about the line.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telephony.simulator.calls import INBOUND, CallChunk
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.wire import build_table, constant, floats, ints, timestamps
from telephony.simulator.world import World

SAMPLE_SHARE = 0.10
SPEAKERS: tuple[str, ...] = ("agent", "customer", "bot")
AGENT, CUSTOMER = 0, 1

_NAMES = ("Maria", "James", "Priya", "Chen", "Fatima", "Lukas", "Sofia", "Omar", "Grace", "Diego")
_GREETING = "Thank you for calling {company}, this is {agent}. How can I help you today?"
_CLOSING = "Is there anything else I can help you with? Thank you for calling, have a great day."
_BAD_LINE = "Sorry, you're breaking up, I can barely hear you. Can you repeat that?"

#: Intent -> alternating customer/agent turns after the greeting.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "appointment": (
        "Hi, I need to reschedule my appointment on {date}.",
        "Of course. Can I have your date of birth to pull up your record?",
        "Sure, it's the fourth of May, nineteen eighty-two.",
        "I see the appointment. I have openings on Tuesday morning or Thursday afternoon.",
        "Thursday afternoon works better for me.",
        "Done, you're booked for Thursday at two thirty. You'll get a text confirmation.",
    ),
    "billing_question": (
        "Hi, my last bill was {amount} dollars, that's much higher than usual.",
        "I'm sorry about that. Let me look at your account ending in {digits}.",
        "Thanks. I didn't change anything on my plan.",
        "I see a one-time charge for international calls. I can explain the line items.",
        "Please do, and can you waive part of it?",
        "I've applied a courtesy credit of ten dollars to your next invoice.",
    ),
    "medical_question": (
        "Hello, I started a new prescription and I'm feeling dizzy.",
        "I understand. How long ago did you take the first dose?",
        "About two hours ago, with breakfast.",
        "Any chest pain or trouble breathing?",
        "No, just dizzy and a bit tired.",
        "Please rest and drink water; I'm asking the doctor to call you back within the hour.",
    ),
    "order_status": (
        "Hi, I'm calling about order {order}, it hasn't arrived yet.",
        "Let me check the tracking for order {order}.",
        "It said delivery yesterday but nothing came.",
        "The carrier shows a delay at the local depot; it's out for delivery today.",
        "OK, can you send me the tracking link?",
        "I've just emailed it to you, and I've added a note to follow up tomorrow.",
    ),
    "return": (
        "Hi, I'd like to return a jacket from order {order}, it doesn't fit.",
        "No problem. Was it delivered within the last thirty days?",
        "Yes, last week.",
        "Great, I'm creating a free return label now.",
        "Will I get a refund or store credit?",
        "A full refund of {amount} dollars once the item reaches our warehouse.",
    ),
    "card_issue": (
        "Hi, my card was declined at the store this morning.",
        "I'm sorry about that. Can you confirm the last four digits, {digits}?",
        "Yes, that's the one.",
        "I see a security hold after an unusual online purchase. Did you make that purchase?",
        "Yes, that was me.",
        "Thank you, I've removed the hold. Your card will work in a few minutes.",
    ),
    "sales_inquiry": (
        "Hi, I'm interested in your premium plan, what does it include?",
        "Happy to help. The premium plan includes unlimited usage and priority support.",
        "How much is it per month?",
        "It's {amount} dollars a month, and there's a discount if you pay yearly.",
        "That sounds good, can you send me the details?",
        "Absolutely, I've sent a quote to your email with a fourteen day trial.",
    ),
    "fraud_report": (
        "Hello, there are charges on my account I didn't make.",
        "I'm sorry to hear that. I'll secure your account right away.",
        "There are three charges from last night, about {amount} dollars in total.",
        "I've blocked the card and opened a dispute for those charges.",
        "When will I get my money back?",
        "You'll see a provisional credit within two business days and a new card in the mail.",
    ),
    "complaint": (
        "I'm really frustrated, this is the third time I'm calling about the same problem.",
        "I apologise, that shouldn't happen. Let me read the notes on your case.",
        "Nobody called me back like they promised.",
        "I see that. I'm escalating this to my supervisor with high priority.",
        "I just want it fixed.",
        "I understand. You'll get a call from the team lead before end of day today.",
    ),
    "booking": (
        "Hi, I want to change my flight on booking {order} to a later date.",
        "Sure. Which date would you like instead?",
        "The {date}, same time if possible.",
        "There is a seat at ten fifteen; the fare difference is {amount} dollars.",
        "OK, please go ahead.",
        "Done, your new itinerary has been emailed to you.",
    ),
    "claim": (
        "Hi, I need to file a claim, my car was damaged in a hailstorm.",
        "I'm sorry to hear that. Is everyone safe?",
        "Yes, it's just the car.",
        "I've opened claim {order}. An adjuster will contact you to inspect the vehicle.",
        "How long does that take?",
        "Usually within three business days; you can upload photos in the app meanwhile.",
    ),
    "account_update": (
        "Hi, I moved and need to update my address.",
        "Sure, I'll need to verify your identity first. What's your date of birth?",
        "It's the twelfth of March, nineteen ninety.",
        "Thank you. What's the new address?",
        "Forty two Harbour Street, apartment seven.",
        "Updated. Your documents will go to the new address from now on.",
    ),
    "technical_issue": (
        "Hi, my internet keeps dropping every few minutes since yesterday.",
        "Sorry about that. I'm running a line test on your connection now.",
        "OK, the light on the router is blinking orange.",
        "I see errors on the line. Please restart the router while I reset the port.",
        "It's restarting... the light is green now.",
        "The line looks stable now. I'll monitor it for twenty four hours.",
    ),
}
INTENTS: tuple[str, ...] = tuple(TEMPLATES)


def transcript_table(
    world: World,
    calls: CallChunk,
    queue_intents: list[str],
    company_names: list[str],
    rng: np.random.Generator,
    ids: np.random.Generator,
) -> pa.Table:
    candidates = np.flatnonzero((calls.direction == INBOUND) & (calls.answer_us >= 0))
    chosen = candidates[rng.random(len(candidates)) < SAMPLE_SHARE]
    _, jitter_mult, _ = world.incidents.degradation(calls.carrier[chosen], calls.answer_us[chosen])
    degraded = (jitter_mult > 1.0).tolist()
    rows_call: list[int] = []
    rows_index: list[int] = []
    rows_speaker: list[int] = []
    rows_start: list[int] = []
    rows_end: list[int] = []
    rows_text: list[str] = []
    rows_conf: list[float] = []
    billsec = calls.billsec
    for position, call in enumerate(chosen.tolist()):
        queue = int(calls.queue[call])
        intent = queue_intents[queue] if rng.random() < 0.6 else INTENTS[rng.integers(len(INTENTS))]
        fill = {
            "company": company_names[int(calls.tenant[call])],
            "agent": _NAMES[int(rng.integers(len(_NAMES)))],
            "date": f"{int(rng.integers(1, 28))}th",
            "amount": str(int(rng.integers(20, 400))),
            "order": f"{int(rng.integers(100000, 999999))}",
            "digits": f"{int(rng.integers(1000, 9999))}",
        }
        turns = int(rng.integers(3, 9))
        body = [
            (CUSTOMER if k % 2 == 0 else AGENT, line) for k, line in enumerate(TEMPLATES[intent])
        ]
        lines = [(AGENT, _GREETING), *body[: turns - 2], (AGENT, _CLOSING)]
        if degraded[position]:
            lines.insert(2, (CUSTOMER, _BAD_LINE))
            if len(lines) > 8:
                del lines[-2]
        texts = [(speaker, text.format(**fill)) for speaker, text in lines]
        talk_ms = int(billsec[call]) * 1000
        weights = np.array([len(text) + 20 for _, text in texts], dtype=np.float64)
        bounds = np.floor(np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum() * talk_ms)
        base_confidence = 0.72 if degraded[position] else 0.93
        for index, (speaker, text) in enumerate(texts):
            begin, finish = int(bounds[index]), int(bounds[index + 1])
            gap = min(600, (finish - begin) // 4)
            rows_call.append(call)
            rows_index.append(index)
            rows_speaker.append(speaker)
            rows_start.append(begin + gap)
            rows_end.append(finish)
            rows_text.append(text)
            rows_conf.append(
                round(float(np.clip(base_confidence + rng.normal(0, 0.04), 0.3, 0.99)), 3)
            )
    call_rows = np.asarray(rows_call, dtype=np.int64)
    start_ms = np.asarray(rows_start, dtype=np.int64)
    answer = calls.answer_us[call_rows] if len(call_rows) else np.empty(0, np.int64)
    columns = {
        "tenant_id": codes_to_strings(
            [t.tenant_id for t in world.tenants], calls.tenant[call_rows]
        ),
        "occurred_at": timestamps(answer + start_ms * 1000 + world.window.start_epoch_us),
        "call_id": calls.call_id.take(pa.array(call_rows, type=pa.int64())),
        "segment_index": ints(np.asarray(rows_index)),
        "speaker": codes_to_strings(SPEAKERS, np.asarray(rows_speaker)),
        "start_offset_ms": ints(start_ms),
        "end_offset_ms": ints(np.asarray(rows_end)),
        "text": pa.array(rows_text, pa.string()),
        "language": constant("en", len(call_rows), pa.string()),
        "confidence": floats(np.asarray(rows_conf)),
    }
    return build_table("transcript", columns, ids)
