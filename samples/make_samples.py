"""Write the bundled sample datasets (deterministic: same bytes on every run).

    python samples/make_samples.py          # rewrite samples/*.jsonl
    python samples/make_samples.py --check  # exit 1 if a committed file differs

The samples are support conversations of a fictional online bike shop,
Larkspur Cycles. Every name, order number and address is made up. The text is
written by hand in banks of phrasings and combined with a seeded random
generator, so the sets read like real tickets without repeating themselves.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SYSTEM = (
    "You are Pip, the support assistant of Larkspur Cycles, an online bike shop in Portland, Oregon. "
    "Be warm, brief and concrete. Use the customer's order number when they give one. Returns are accepted "
    "within 30 days of delivery; never promise a refund outside that window, offer to escalate instead. "
    "Ask at most one clarifying question."
)

FIRST_NAMES = [
    "Maya",
    "Tomás",
    "Priya",
    "Jonah",
    "Aiko",
    "Fatima",
    "Liam",
    "Sofia",
    "Kwame",
    "Elena",
    "Noor",
    "Henrik",
    "Camille",
    "Dev",
    "Rosa",
    "Ibrahim",
    "Grace",
    "Mateo",
    "Yuki",
    "Olu",
]
PRODUCTS = [
    ("Ridgeline 29 trail bike", "bike"),
    ("Cascade gravel frameset", "bike"),
    ("Commuter 8 city bike", "bike"),
    ("Alder kids' 20-inch bike", "bike"),
    ("Volt-E step-through e-bike", "ebike"),
    ("Tern rear rack", "part"),
    ("Halo LED light set", "part"),
    ("Summit tubeless tire 29x2.4", "part"),
    ("Fenwick clipless pedals", "part"),
    ("Lumen merino jersey (M)", "apparel"),
    ("Drizzle rain jacket (L)", "apparel"),
    ("Keystone U-lock", "part"),
    ("Torque 12-speed cassette", "part"),
    ("Ember heated gloves (S)", "apparel"),
    ("Pinnacle MIPS helmet", "part"),
]
BIKES = [name for name, kind in PRODUCTS if kind in ("bike", "ebike") and "kids" not in name]
GEAR = [name for name, kind in PRODUCTS if kind == "part"]
SIZED = [name.split(" (")[0] for name, kind in PRODUCTS if kind in ("bike", "apparel") and "kids" not in name]
CITIES = [
    "Boise",
    "Sacramento",
    "Denver",
    "Tucson",
    "Spokane",
    "Madison",
    "Burlington",
    "Asheville",
    "Austin",
    "Duluth",
    "Eugene",
    "Bend",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def order_no(rng: random.Random) -> str:
    return f"LC-{rng.randint(40000, 59999)}"


# Each intent is a list of exchanges: (user message, [fitting assistant replies], optional follow-up
# (user, assistant)). Slots in {braces} are filled per example; the seeded generator picks the exchange,
# the reply and the slots, so a 96-example set reads like real tickets without repeating itself.
INTENTS = {
    "order_status": [
        (
            "Hi, where is my order {order}? It said 3-5 days and it's been a week.",
            [
                "Sorry for the wait, {name}. Order {order} left our Portland warehouse on {day} and is with the carrier "
                "now. Tracking scans can lag a day or two; if nothing moves by Friday, reply here and I'll open a trace.",
                "Thanks for your patience. I checked {order}: it was delayed at the carrier's hub and is moving again. "
                "The new estimate is {day}, and I've added a note to keep an eye on it.",
            ],
            (
                "What if it doesn't come by then?",
                "Then reply to this thread and I'll reship it right away or refund you in full; you won't have to wait "
                "on the carrier's investigation.",
            ),
        ),
        (
            "Can you check on {order}? Tracking hasn't moved since {day}.",
            [
                "I see the same thing on {order}. I've opened a trace with the carrier, which usually gets a parcel "
                "moving within 48 hours. I'll email you as soon as they answer.",
            ],
            None,
        ),
        (
            "order {order} still says 'label created'. is it actually shipped??",
            [
                "Yes, it's shipped: the parcel was handed over on {day}, and the carrier's first scan can take up to a "
                "day to appear. You should see movement by tomorrow morning.",
            ],
            (
                "ok thanks. can I change the delivery address still?",
                "Once a parcel is in transit we can't redirect it ourselves, but you can ask the carrier to hold it at "
                "a local depot from the tracking page. It's free and takes a minute.",
            ),
        ),
        (
            "Hello! Just wondering when my {product} will arrive. Order number is {order}.",
            [
                "Hi {name}! Your {product} ({order}) is out for delivery in {city} and should reach you by {day}.",
                "Hi {name}! {order} is packed and leaves our warehouse today; expect your {product} by {day}.",
            ],
            None,
        ),
        (
            "My tracking for {order} shows it went to {city} instead of home. Should I worry?",
            [
                "No need to worry: {city} is a regional hub on that route, so the detour is normal. Delivery is still "
                "expected on {day}.",
            ],
            None,
        ),
    ],
    "return": [
        (
            "I'd like to return the {product}. It doesn't fit the way I hoped.",
            [
                "Of course. Returns are free within 30 days of delivery: open Orders, choose the order, then 'Start a "
                "return' and print the prepaid label. The refund goes out within 3 business days of it reaching us.",
                "Sorry it didn't work out, {name}. If you'd rather try another size, I can set up a free exchange "
                "instead of a return. Which would you prefer?",
            ],
            (
                "Do I need the original box?",
                "The original box helps but isn't required. Pack it securely; for bikes we can send a reusable bike "
                "box for free.",
            ),
        ),
        (
            "How do I send back {order}? Never used it, still in the box.",
            [
                "Easy: open Orders, choose {order} and click 'Start a return'. We'll email a prepaid label, and your "
                "refund goes out within 3 business days of the parcel reaching us.",
            ],
            None,
        ),
        (
            "Can I return a bike I bought 5 weeks ago? I barely rode it.",
            [
                "Our return window is 30 days from delivery, so 5 weeks is just outside it and I can't promise a "
                "refund. I'm happy to escalate it to our returns team with your order details, though. Shall I?",
            ],
            (
                "yes please escalate",
                "Done: I've escalated it with a note that the bike is barely used. The returns team answers within 2 "
                "business days by email.",
            ),
        ),
        (
            "The {product} isn't for me. What's your return policy?",
            [
                "You can return anything unused within 30 days of delivery, and return shipping is free. Start it from "
                "your Orders page and we'll email a prepaid label.",
            ],
            None,
        ),
        (
            "I want a refund for order {order}, the color is way off from the photos",
            [
                "I'm sorry about that, {name}; that's not what you should get. I've started a return for {order} and "
                "emailed you a prepaid label. The refund goes out as soon as the parcel is scanned.",
            ],
            None,
        ),
    ],
    "sizing": [
        (
            "I'm 5'7\" with a 30 inch inseam. Which size {bike} should I get?",
            [
                "At 5'7\" with a 30\" inseam you'll be most comfortable on a size S. If you like a more stretched-out "
                "position, the M works too with a shorter stem.",
            ],
            None,
        ),
        (
            "Between M and L on the {bike}, I'm 178 cm. Help?",
            [
                "At 178 cm you sit right between the two. Choose M for a livelier, more upright ride or L if you mostly "
                "ride long distances. Either way, exchanges are free within 30 days.",
            ],
            (
                "I mostly commute, 10 km a day.",
                "Then go with the M: it's easier to handle in traffic and more comfortable upright.",
            ),
        ),
        (
            "what frame size for someone 6'2",
            [
                "For 6'2\" we recommend size L on most of our frames and XL on the Ridgeline 29. Each product page has "
                "a size chart with exact stack and reach.",
            ],
            None,
        ),
        (
            "My daughter is 8 and about 130 cm tall. Is the Alder 20-inch right for her?",
            [
                "Yes, 130 cm is right in the middle of the Alder 20's range (120-140 cm), so she'll have room to grow "
                "for a couple of seasons.",
            ],
            None,
        ),
    ],
    "warranty": [
        (
            "The rear hub on my {bike} started clicking after 4 months. Is that covered?",
            [
                "Sorry to hear that, {name}. Parts are covered for 2 years against defects, so yes. Please send a short "
                "video of the noise and your order number, and I'll arrange a repair or replacement.",
            ],
            None,
        ),
        (
            "Crack near the weld on my frame!! bought it last year. Warranty?",
            [
                "Please stop riding it for now. Frames carry a lifetime warranty for the original owner. Send two or "
                "three photos of the crack and your order number, and we'll start a claim today.",
            ],
            (
                "Photos sent. How long does a claim take?",
                "Usually 3-5 business days from the photos to a decision, and a replacement frame ships right after.",
            ),
        ),
        (
            "My {gear} stopped working after two rides.",
            [
                "That shouldn't happen. What exactly stopped working? With that I can start a warranty replacement "
                "right away.",
            ],
            None,
        ),
        (
            "Is the battery on the Volt-E covered if it loses charge fast?",
            [
                "Yes. The Volt-E battery is covered for 2 years or 500 full charge cycles. If it holds less than 70% of "
                "its rated charge, we replace it.",
            ],
            None,
        ),
    ],
    "shipping": [
        (
            "Do you ship to {city}? How long does it take?",
            [
                "We do. Orders to {city} usually arrive in 3-5 business days, and shipping is free on orders over $75.",
            ],
            None,
        ),
        (
            "How much is shipping for a whole bike?",
            [
                "Bikes ship free within the contiguous US. They arrive 90% assembled; you'll only need to attach the "
                "handlebar, pedals and front wheel.",
            ],
            None,
        ),
        (
            "Can I get express delivery before {day}?",
            [
                "Express (1-2 business days) is $24 at checkout. Orders placed before 1 pm Pacific ship the same day, so "
                "{day} is realistic if you order today.",
            ],
            None,
        ),
        (
            "do you ship to canada",
            [
                "Yes, we ship to Canada. Delivery takes 5-8 business days, and duties are collected at checkout so "
                "there are no surprise fees at the door.",
            ],
            None,
        ),
    ],
    "address_change": [
        (
            "I put the wrong address on {order}. Can you fix it?",
            [
                "Thanks for catching it early! {order} hasn't shipped yet, so I can update it. Please reply with the "
                "full corrected address.",
            ],
            None,
        ),
        (
            "Need to change my shipping address, I'm moving to {city} next week. Order {order}.",
            [
                "No problem, {name}. I've paused {order} before it's packed. Send me the new address in {city} and I'll "
                "update it right away.",
            ],
            None,
        ),
        (
            "Typo in my zip code on my last order, is it too late?",
            [
                "If it hasn't shipped yet, it's not too late at all. Could you share the order number so I can check?",
            ],
            None,
        ),
    ],
    "promo": [
        (
            "The code SPRING15 isn't working at checkout.",
            [
                "SPRING15 applies to full-price apparel and parts only, not to bikes or sale items, which is probably "
                "why it was rejected. If your cart has eligible items and it still fails, tell me what's in it.",
            ],
            None,
        ),
        (
            "Forgot to use my discount code on {order}, can you apply it now?",
            [
                "I can: codes can be applied within 14 days of purchase. I've refunded the difference on {order}; "
                "you'll see it on your statement in 3-5 days.",
            ],
            None,
        ),
        (
            "Is there a student discount?",
            [
                "Yes, 10% off after a quick verification on our Student page. It works on everything except gift cards.",
            ],
            None,
        ),
    ],
    "assembly": [
        (
            "The instructions for the {bike} don't say how tight the stem bolts should be.",
            [
                "The stem faceplate bolts go to 5 Nm and the steerer clamp bolts to 6 Nm, tightened evenly in a cross "
                "pattern. The values are also printed next to each bolt.",
            ],
            None,
        ),
        (
            "Front brake rubs after I put the wheel on. What did I do wrong?",
            [
                "Nothing wrong, it's common and easy to fix: loosen the two caliper bolts, squeeze the brake lever and "
                "hold it, then retighten the bolts. That centers the caliper on the rotor.",
            ],
            (
                "Still rubs a little.",
                "Then the rotor may be slightly bent in shipping. Spin the wheel and see where it touches; if you send "
                "a short video, I'll tell you whether a true-up or a new rotor is the fix.",
            ),
        ),
        (
            "Do I need special tools to assemble the bike?",
            [
                "Only the multi-tool in the box and a pedal wrench (or an 8 mm hex key for most pedals). A torque wrench "
                "is nice to have but not required.",
            ],
            None,
        ),
    ],
    "cancel": [
        (
            "Please cancel order {order}, I ordered the wrong size.",
            [
                "Done, {name}: {order} is cancelled and the full amount is back on your card within 3-5 business days. "
                "Want me to place it again in the right size?",
            ],
            None,
        ),
        (
            "Can I cancel my order? I just placed it 10 minutes ago.",
            [
                "Yes, orders can be cancelled until they're packed. Send me the order number and I'll cancel it now.",
            ],
            None,
        ),
    ],
    "repair_booking": [
        (
            "Can I book a tune-up at the Portland shop?",
            [
                "Yes! Our Portland workshop does tune-ups Tuesday to Saturday. Book a slot on the Service page; a basic "
                "tune-up is $65 and usually ready the same day.",
            ],
            None,
        ),
        (
            "Do you do repairs in store or only online sales?",
            [
                "Both: besides online sales we run a workshop at our Portland store. You can book a repair or a fitting "
                "on our Service page.",
            ],
            None,
        ),
    ],
    "gift_card": [
        (
            "Can I use two gift cards on one order?",
            [
                "Yes, you can combine up to three gift cards on one order and pay any remainder by card.",
            ],
            None,
        ),
        (
            "My gift card balance shows $0 but I never used it.",
            [
                "Sorry about that. Please send me the last 4 digits of the gift card and I'll look up its history and "
                "restore the balance if there's an error.",
            ],
            None,
        ),
    ],
    "damaged": [
        (
            "My {bike} arrived with a bent derailleur hanger. The box was crushed.",
            [
                "I'm sorry, {name}, that's not how it should arrive. I'm shipping a replacement hanger today at no "
                "cost; please keep a photo of the box in case the carrier asks.",
            ],
            None,
        ),
        (
            "The {product} came scratched. Not happy.",
            [
                "I'm sorry, that's disappointing. Could you send a photo of the scratches? We'll offer a replacement or "
                "a partial refund, whichever you prefer.",
            ],
            (
                "Partial refund is fine.",
                "Done: I've refunded 20% of the price to your card. It shows up within 3-5 business days.",
            ),
        ),
    ],
}


def fill(text: str, slots: dict[str, str]) -> str:
    return text.format(**slots)


def chat_example(rng: random.Random, intent: str, *, system: bool = True, multi_turn: bool = False) -> dict:
    user, replies, follow_up = rng.choice(INTENTS[intent])
    slots = {
        "order": order_no(rng),
        "product": rng.choice(PRODUCTS)[0],
        "name": rng.choice(FIRST_NAMES),
        "city": rng.choice(CITIES),
        "day": rng.choice(DAYS),
        "bike": rng.choice(BIKES),
        "gear": rng.choice(GEAR),
    }
    messages = [{"role": "system", "content": SYSTEM}] if system else []
    messages.append({"role": "user", "content": fill(user, slots)})
    messages.append({"role": "assistant", "content": fill(rng.choice(replies), slots)})
    if multi_turn and follow_up:
        messages.append({"role": "user", "content": fill(follow_up[0], slots)})
        messages.append({"role": "assistant", "content": fill(follow_up[1], slots)})
    return {"messages": messages}


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def chat_set(seed: int, n: int, exclude: set[str] = frozenset()) -> list[str]:
    """``n`` distinct chat lines (none of them in ``exclude``)."""
    rng = random.Random(seed)
    intents = list(INTENTS)
    lines: list[str] = []
    seen = set(exclude)
    for _ in range(n * 50):
        if len(lines) == n:
            break
        intent = intents[len(lines) % len(intents)] if rng.random() < 0.7 else rng.choice(intents)
        line = dumps(chat_example(rng, intent, multi_turn=rng.random() < 0.4))
        if line not in seen:
            seen.add(line)
            lines.append(line)
    assert len(lines) == n, "not enough distinct chat examples"
    return lines


def faulty_set(clean: list[str]) -> list[str]:
    """The clean set with a dozen typical faults, each on a known line (see README)."""
    lines = clean[:48]
    ex = lambda i: json.loads(lines[i])  # noqa: E731 - a fresh copy of clean example i

    def user_assistant(user: str, assistant: str, **extra) -> dict:
        return {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": user},
                {"role": "assistant", "content": assistant, **extra},
            ]
        }

    faults: list[tuple[int, str]] = []  # (index to insert at, line)
    # 1. A line cut off mid-object (an editor save that went wrong).
    faults.append((3, lines[3][: len(lines[3]) // 2]))
    # 2. A blank line between examples.
    faults.append((6, ""))
    # 3. No assistant message: the user's question was never answered.
    e = ex(8)
    e["messages"] = e["messages"][:2]
    faults.append((9, dumps(e)))
    # 4. A role the API does not know.
    e = ex(10)
    e["messages"][2]["role"] = "bot"
    faults.append((11, dumps(e)))
    # 5. weight must be 0 or 1.
    e = ex(12)
    e["messages"][2]["weight"] = 2
    faults.append((13, dumps(e)))
    # 6. An exact duplicate of an earlier line.
    faults.append((16, lines[4]))
    # 7. content null (a spreadsheet export with an empty cell).
    e = ex(18)
    e["messages"][2]["content"] = None
    faults.append((19, dumps(e)))
    # 8. No system message (accepted, but inconsistent with the rest of the set).
    e = ex(21)
    e["messages"] = e["messages"][1:]
    faults.append((22, dumps(e)))
    # 9. A tokenizer special token pasted from a log.
    e = ex(24)
    e["messages"][2]["content"] += " <|endoftext|>"
    faults.append((25, dumps(e)))
    # 10. A JSON array instead of an object.
    faults.append((28, dumps(ex(27)["messages"])))
    # 11. Capitalised key: "Content" is not "content".
    e = ex(30)
    e["messages"][1] = {"role": "user", "Content": e["messages"][1]["content"]}
    faults.append((31, dumps(e)))
    # 12. A legacy prompt/completion line mixed into a chat file.
    faults.append(
        (
            34,
            dumps(
                {
                    "prompt": "Do you sell tubes for 700x32 tires? ->",
                    "completion": " Yes, Presta and Schrader, $9 each.\n",
                }
            ),
        )
    )
    # 13. Text pasted from a web form: HTML, markdown and a very long unbroken URL. Valid JSON, valid
    # example: the app must show it as plain text, never render it.
    long_url = "https://larkspur.example/track?" + "&".join(f"ref{i}=" + "x" * 12 for i in range(14))
    faults.append(
        (
            37,
            dumps(
                user_assistant(
                    "<script>alert('hi')</script> my <b>order</b> page shows [click here](https://evil.example) and "
                    "![img](https://evil.example/pixel.png) — also this link is broken: " + long_url,
                    "Sorry about that! The tracking page link is fixed now; you can open it from your Orders page.",
                )
            ),
        )
    )
    # 14. developer role in a supervised file (accepted for RFT; unconfirmed for SFT).
    e = ex(40)
    e["messages"][0]["role"] = "developer"
    faults.append((41, dumps(e)))
    out = list(lines)
    for index, line in sorted(faults, reverse=True):
        out.insert(index, line)
    return out


DPO_PAIRS = [
    (
        "Where is my order {order}?",
        "Order {order} shipped on {day} and is with the carrier; it should arrive within 2 business days. I'll keep an "
        "eye on it and you can reply here any time.",
        "It's shipped. Check the tracking link.",
    ),
    (
        "Can I return a helmet I bought 6 weeks ago?",
        "Our return window is 30 days from delivery, so 6 weeks is outside it and I can't promise a refund. I'm happy "
        "to escalate it to the returns team with your details, though. Shall I?",
        "Sure, just send it back and we'll refund you in full!",
    ),
    (
        "Which size {bike} for 5'9\"?",
        "At 5'9\" most riders fit a size M. If you're between sizes or prefer a relaxed position, I can help you "
        "compare stack and reach.",
        "Sizing depends on many factors such as torso length, arm length, flexibility, riding style, and preference, "
        "and bikes differ in geometry, so it is really impossible to say without a professional fitting. You may want "
        "to consult a local shop, read reviews, and compare geometry charts across several manufacturers before "
        "deciding what might work for you.",
    ),
    (
        "My {product} arrived damaged.",
        "I'm sorry, {name}. Could you send a photo of the damage and the box? I'll ship a replacement the same day.",
        "That happens sometimes with carriers. You'll need to file a claim with them.",
    ),
    (
        "Do you ship to {city}?",
        "Yes! Orders to {city} usually arrive in 3-5 business days, and shipping is free over $75.",
        "Yes.",
    ),
    (
        "The promo code doesn't work.",
        "Sorry about that! Which code are you using and what's in your cart? Some codes exclude bikes and sale items.",
        "Codes work fine on our end, so you probably typed it wrong.",
    ),
    (
        "Can I cancel {order}?",
        "Yes, it hasn't been packed yet. I've cancelled {order}; the refund reaches your card in 3-5 business days.",
        "I have forwarded your request to the relevant department, who will get back to you in due course.",
    ),
    (
        "Is the Volt-E battery covered by warranty?",
        "Yes, for 2 years or 500 full charge cycles. If it holds less than 70% of its rated charge, we replace it.",
        "Batteries are consumables, so they usually aren't covered by any warranty.",
    ),
    (
        "How tight should the stem bolts be?",
        "5 Nm for the faceplate bolts and 6 Nm for the steerer clamp, tightened evenly in a cross pattern.",
        "Tight enough that the bars don't move. Just crank them down hard.",
    ),
    (
        "Do you have a student discount?",
        "Yes, 10% off after a quick verification on our Student page. It works on everything except gift cards.",
        "Please see our website for current promotions.",
    ),
]


OPENERS = ["", "Hi! ", "Hello! ", "Quick question: ", "Hey there. ", "Good morning. "]


def dpo_set(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    lines, seen = [], set()
    for _ in range(n * 50):
        if len(lines) == n:
            break
        user, good, bad = DPO_PAIRS[len(lines) % len(DPO_PAIRS)]
        user = rng.choice(OPENERS) + user
        slots = {
            "order": order_no(rng),
            "product": rng.choice(PRODUCTS)[0],
            "name": rng.choice(FIRST_NAMES),
            "city": rng.choice(CITIES),
            "day": rng.choice(DAYS),
            "bike": rng.choice(BIKES),
        }
        line = dumps(
            {
                "input": {
                    "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": fill(user, slots)}]
                },
                "preferred_output": [{"role": "assistant", "content": fill(good, slots)}],
                "non_preferred_output": [{"role": "assistant", "content": fill(bad, slots)}],
            }
        )
        if line not in seen:
            seen.add(line)
            lines.append(line)
    assert len(lines) == n, "not enough distinct DPO pairs"
    return lines


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Status, items and tracking of one order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "description": "e.g. LC-48213"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "check_stock",
            "description": "Units in stock of a product, per size.",
            "parameters": {
                "type": "object",
                "properties": {
                    "product": {"type": "string"},
                    "size": {"type": "string", "enum": ["S", "M", "L", "XL"]},
                },
                "required": ["product"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "start_return",
            "description": "Create a return and email a prepaid label.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["order_id", "reason"],
            },
        },
    },
]


def tools_set(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    lines, seen = [], set()
    for _ in range(n * 50):
        if len(lines) == n:
            break
        kind = ("order", "stock", "return", "none")[len(lines) % 4]
        name, order = rng.choice(FIRST_NAMES), order_no(rng)
        product = rng.choice(PRODUCTS)[0]
        call_id = f"call_{rng.randint(100000, 999999)}"
        messages = [{"role": "system", "content": SYSTEM}]
        if kind == "order":
            day = rng.choice(DAYS)
            messages += [
                {"role": "user", "content": f"Hi, it's {name}. Any news on {order}?"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "lookup_order", "arguments": json.dumps({"order_id": order})},
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": json.dumps({"status": "in_transit", "carrier": "UPS", "eta": day, "items": [product]}),
                },
                {
                    "role": "assistant",
                    "content": f"Hi {name}! {order} ({product}) is in transit with UPS and should arrive on {day}.",
                },
            ]
        elif kind == "stock":
            size = rng.choice(["S", "M", "L", "XL"])
            product = rng.choice(SIZED)
            units = rng.choice([0, 2, 5, 11])
            answer = (
                f"Yes, we have {units} of the {product} in size {size} ready to ship today."
                if units
                else f"Sorry, size {size} of the {product} is sold out right now; I can email you when it's back."
            )
            messages += [
                {"role": "user", "content": f"Do you have the {product} in {size}?"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": "check_stock",
                                "arguments": json.dumps({"product": product, "size": size}),
                            },
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": call_id, "content": json.dumps({"size": size, "units": units})},
                {"role": "assistant", "content": answer},
            ]
        elif kind == "return":
            reason = rng.choice(["it's too small", "it's the wrong color", "I changed my mind", "it arrived scratched"])
            messages += [
                {"role": "user", "content": f"I want to return {order}, {reason}."},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": "start_return",
                                "arguments": json.dumps({"order_id": order, "reason": reason}),
                            },
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": json.dumps({"return_id": f"R-{rng.randint(1000, 9999)}", "label_emailed": True}),
                },
                {
                    "role": "assistant",
                    "content": "Your return is set up and the prepaid label is in your inbox. "
                    "The refund goes out within 3 business days of it reaching us.",
                },
            ]
        else:
            question, answer = rng.choice(
                [
                    (
                        "What are your opening hours?",
                        "Our Portland store is open Tuesday to Saturday, 10 am to 6 pm. "
                        "Online support answers every day.",
                    ),
                    (
                        "Do you price match?",
                        "Yes, we match authorized US retailers on identical in-stock items. Send "
                        "me the link and I'll check it.",
                    ),
                    (
                        "Can I pick up my order in store?",
                        "Yes, choose 'Pick up in Portland' at checkout; it's ready "
                        "within 2 hours during opening times.",
                    ),
                ]
            )
            messages += [
                {"role": "user", "content": rng.choice(OPENERS) + question},
                {"role": "assistant", "content": answer},
            ]
        line = dumps({"messages": messages, "tools": TOOLS, "parallel_tool_calls": False})
        if line not in seen:
            seen.add(line)
            lines.append(line)
    assert len(lines) == n, "not enough distinct tool-calling examples"
    return lines


def build() -> dict[str, str]:
    """File name -> file text of every sample."""
    train = chat_set(seed=2026, n=96)
    valid = chat_set(seed=1126, n=24, exclude=set(train))
    text = lambda lines: "\n".join(lines) + "\n"  # noqa: E731
    return {
        "support_chat.jsonl": text(train),
        "support_chat_valid.jsonl": text(valid),
        "support_chat_faulty.jsonl": text(faulty_set(train)),
        # Two training examples leaked into this validation file (a typical copy-paste split).
        "support_chat_faulty_valid.jsonl": text(valid[:10] + [train[1], train[9]]),
        "support_dpo.jsonl": text(dpo_set(seed=30, n=30)),
        "support_tools.jsonl": text(tools_set(seed=44, n=40)),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, content in build().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)} ({content.count(chr(10))} lines)")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python samples/make_samples.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
