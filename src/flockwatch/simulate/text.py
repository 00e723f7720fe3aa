"""Multilingual synthetic text: template sentences with slot variation, emoji, hashtags, links, names.

Consumes a ``numpy.random.Generator``; produces Python lists / Arrow arrays of strings that the generators index
with numpy (so per-action text costs one ``take``, not one Python call). Nothing here comes from external data: every
sentence is a template written for this module, filled from the word lists below.

To add a language: add its templates to ``TEMPLATES``, its slot words to ``SLOTS``, hashtags to ``HASHTAGS`` and
news domains to ``NEWS_DOMAINS``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

EMOJI = ["😂", "❤️", "🙏", "😭", "🔥", "👍", "🤔", "😍", "🎉", "☕", "🌧️", "☀️", "⚽", "🎶", "😡", "💪", "🇭🇰", "🇸🇪"]

TEMPLATES: dict[str, list[str]] = {
    "en": [
        "Can't believe how {adj} the {thing} was today {emoji}",
        "Anyone else watching {show} tonight?",
        "Just finished {activity}. {feeling}",
        "Morning run done, {num}km in the {weather} {emoji}",
        "Reading about {topic} and honestly {opinion}",
        "{greeting} everyone! {weather} again in {city}",
        "My {relative} just sent me the most {adj} photo of a {animal} {emoji}",
        "Hot take: {thing} is {adj}. Fight me.",
        "Long day at work. Time for {food} {emoji}",
        "New blog post on {topic} is up, let me know what you think",
        "Traffic in {city} is {adj} this morning {emoji}",
        "What a game! {team} deserved that win {emoji}",
        "Thinking about {topic} a lot lately. {opinion}",
        "Weekend plans: {activity} and lots of {food}",
    ],
    "zh": [
        "今天{city}的天气{weather}，{feeling}{emoji}",
        "刚看完{show}，太{adj}了{emoji}",
        "下班了，去吃{food}",
        "大家觉得{topic}怎么样？{opinion}",
        "周末打算去{activity}，有人一起吗？",
        "早上好！{greeting}{emoji}",
        "我家{animal}今天又{adj}了😂",
        "关注{topic}很久了，{opinion}",
        "{city}的{food}真的是一绝{emoji}",
        "终于忙完了，{feeling}",
        "刚刚在{city}看到好多人，{opinion}",
        "{team}今晚的比赛太{adj}了{emoji}",
    ],
    "sv": [
        "Vilket {adj} väder i {city} idag {emoji}",
        "Någon mer som tittar på {show} ikväll?",
        "Fika med {relative} efter jobbet {emoji}",
        "Läser om {topic}, {opinion}",
        "God morgon! {weather} igen i {city}",
        "Helgens planer: {activity} och {food}",
        "{team} spelade {adj} ikväll {emoji}",
        "Äntligen fredag. {feeling}",
        "Min {animal} är så {adj} idag {emoji}",
        "Ny text om {topic} ute nu, säg vad ni tycker",
    ],
}

SLOTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "adj": ["amazing", "terrible", "weird", "wonderful", "boring", "wild", "lovely", "awful", "unreal"],
        "thing": ["coffee", "meeting", "concert", "season finale", "commute", "new phone", "sunset", "match"],
        "show": ["the debate", "the final", "that new series", "the documentary", "the game", "the news"],
        "activity": ["a 10k run", "gardening", "a long hike", "painting", "cleaning the garage", "a bike ride"],
        "feeling": ["So tired.", "Feeling great!", "Need a nap.", "Worth it.", "Never again.", "Good vibes."],
        "num": ["5", "8", "10", "12", "21"],
        "weather": ["rain", "sun", "fog", "snow", "heat", "wind"],
        "topic": [
            "climate policy",
            "the housing market",
            "AI",
            "Hong Kong",
            "the election",
            "remote work",
            "the trade war",
            "public transport",
            "space exploration",
            "school lunches",
        ],
        "opinion": [
            "it's complicated.",
            "I'm worried.",
            "this is good news.",
            "nobody is talking about it.",
            "we need better coverage.",
            "I changed my mind.",
        ],
        "greeting": ["Good morning", "Hello", "Happy Monday", "Hey"],
        "city": ["London", "New York", "Chicago", "Toronto", "Boston", "Manchester", "Atlanta", "Dublin"],
        "relative": ["mum", "dad", "sister", "brother", "grandma", "cousin"],
        "animal": ["dog", "cat", "parrot", "rabbit", "hamster"],
        "food": ["pizza", "tacos", "ramen", "a burger", "curry", "pancakes"],
        "team": ["Liverpool", "the Yankees", "the Raptors", "Arsenal", "the Patriots"],
    },
    "zh": {
        "adj": ["精彩", "无聊", "感人", "好笑", "离谱", "厉害"],
        "show": ["新剧", "那部电影", "综艺", "纪录片", "新闻"],
        "food": ["火锅", "烧腊", "奶茶", "云吞面", "点心", "菠萝包"],
        "topic": ["香港", "房价", "贸易战", "教育改革", "人工智能", "环保", "台湾选举", "新手机"],
        "opinion": ["说不清楚", "有点担心", "希望越来越好", "值得关注", "大家冷静一点"],
        "activity": ["爬山", "行山", "看展览", "打球", "逛街"],
        "greeting": ["新的一天加油", "早晨", "大家早安"],
        "city": ["香港", "台北", "新加坡", "深圳", "吉隆坡", "上海"],
        "weather": ["很热", "下大雨", "很好", "闷热", "有台风"],
        "feeling": ["好累", "开心", "心情不错", "想睡觉", "终于放松了"],
        "animal": ["猫", "狗", "仓鼠"],
        "team": ["中国队", "巴萨", "湖人", "曼联"],
    },
    "sv": {
        "adj": ["härligt", "grått", "fantastiskt", "konstigt", "kallt", "bra"],
        "city": ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Umeå"],
        "show": ["Melodifestivalen", "Rapport", "Allsång på Skansen", "dokumentären"],
        "relative": ["mamma", "pappa", "syrran", "mormor", "kollegorna"],
        "topic": ["klimatet", "bostadsmarknaden", "Hongkong", "valet", "skolan", "kollektivtrafiken"],
        "opinion": ["svårt att veta", "oroande", "bra nyheter", "värt att läsa"],
        "weather": ["Regn", "Sol", "Snö", "Blåst"],
        "activity": ["promenad", "skidåkning", "bad i sjön", "loppis"],
        "food": ["kanelbullar", "tacos", "sill", "glass"],
        "team": ["AIK", "Djurgården", "Malmö FF", "Tre Kronor"],
        "feeling": ["Skönt!", "Trött.", "Så glad.", "Nu vilar vi."],
        "animal": ["katt", "hund", "kanin"],
    },
}

HASHTAGS: dict[str, list[str]] = {
    "en": [
        "news",
        "MondayMotivation",
        "love",
        "football",
        "climate",
        "music",
        "photography",
        "travel",
        "tbt",
        "HongKong",
        "AI",
        "tech",
        "election",
        "food",
        "fitness",
        "books",
        "nature",
        "art",
    ],
    "zh": ["香港", "hongkong", "美食", "旅行", "电影", "台湾", "音乐", "生活", "摄影", "足球"],
    "sv": ["svpol", "fika", "melfest", "sverige", "stockholm", "fotboll", "klimat", "musik"],
}

#: Trending-topic stems; a day's trend is a stem plus a suffix, so trends vary by day.
TREND_STEMS = [
    "WorldCup",
    "Eurovision",
    "Budget",
    "Heatwave",
    "Apple",
    "Strike",
    "Oscars",
    "Premiere",
    "Storm",
    "Summit",
    "Marathon",
    "Festival",
    "Finals",
    "Launch",
    "Election",
]

NEWS_DOMAINS: dict[str, list[str]] = {
    "en": ["bbc.co.uk", "reuters.com", "nytimes.com", "theguardian.com", "apnews.com", "cnn.com", "npr.org"],
    "zh": ["scmp.com", "rthk.hk", "hk01.com", "thestandnews.com", "udn.com", "zaobao.com.sg"],
    "sv": ["svt.se", "dn.se", "svd.se", "aftonbladet.se", "sverigesradio.se"],
}

STATE_MEDIA = {
    # handle: (display name, domain, language, follower_count)
    "XHNews": ("China Xinhua News", "xinhuanet.com", "en", 12_600_000),
    "PDChina": ("People's Daily, China", "people.com.cn", "en", 7_000_000),
    "ChinaDaily": ("China Daily", "chinadaily.com.cn", "en", 4_300_000),
    "CGTNOfficial": ("CGTN", "cgtn.com", "en", 13_900_000),
}

STATE_MEDIA_TEMPLATES = [
    "{place} reports steady economic growth in the first half of the year",
    "Spokesperson: {place} opposes any foreign interference in internal affairs",
    "Watch: high-speed rail line opens in {place}",
    "Hong Kong police restore order after violent clashes, {place} officials say",
    "Culture: ancient murals restored in {place}",
    "{place} and partners sign new trade agreement",
]
STATE_MEDIA_PLACES = ["Beijing", "Shanghai", "Guangdong", "Hong Kong", "Xinjiang", "Shenzhen", "Chongqing"]

#: Content of a planted operation (synthetic, in the style the 2019 disclosure described).
OP_TEMPLATES: dict[str, list[str]] = {
    "zh": [
        "暴徒破坏{place}，市民忍无可忍{emoji}",
        "支持警察严正执法，还{place}安宁",
        "外国势力插手{place}事务，居心何在？",
        "{place}是中国的{place}，不容乱港分子胡作非为",
        "看看这些暴徒做了什么！{place}需要和平",
        "止暴制乱是当前{place}最紧迫的任务",
    ],
    "en": [
        "Rioters are destroying {place}. Enough is enough {emoji}",
        "Support the police in restoring order in {place}",
        "Foreign forces are behind the chaos in {place}",
        "Peaceful citizens of {place} want their city back",
        "Look at what the violent protesters did to {place} today",
    ],
}
OP_PLACES = {"zh": ["香港", "香港社会"], "en": ["Hong Kong", "HK"]}
OP_SWAPS = {
    "暴徒": "暴民",
    "支持": "力挺",
    "和平": "安宁",
    "Rioters": "Thugs",
    "Support": "Stand with",
    "violent": "radical",
    "chaos": "unrest",
}

FIRST_NAMES = {
    "en": [
        "James",
        "Mary",
        "John",
        "Linda",
        "Mike",
        "Sarah",
        "David",
        "Emma",
        "Chris",
        "Olivia",
        "Dan",
        "Kate",
        "Tom",
        "Amy",
        "Ryan",
        "Laura",
        "Sam",
        "Jess",
        "Ben",
        "Zoe",
    ],
    "zh": ["Wing", "Ka Yan", "Chi Ming", "Mei", "Wei", "Xiao", "Siu", "Hoi", "Jun", "Ling", "Kit", "Yan"],
    "sv": ["Anna", "Erik", "Lars", "Maria", "Johan", "Karin", "Per", "Elin", "Oskar", "Sara", "Nils", "Ida"],
}
LAST_NAMES = {
    "en": ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Hall", "Young"],
    "zh": ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ho", "Ng", "Leung", "Lam", "Tsang"],
    "sv": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Lindqvist"],
}
ZH_DISPLAY = ["陈", "黄", "李", "张", "刘", "何", "吴", "梁", "林", "曾"]
ZH_GIVEN = ["小明", "嘉欣", "志伟", "美玲", "家豪", "欣怡", "俊杰", "静"]
BIO = {
    "en": [
        "Coffee lover. Dad. Opinions my own.",
        "Journalist | news junkie",
        "Runner, reader, cat person",
        "Software engineer. Tweets about tech and football.",
        "Teacher 📚",
        "",
        "",
        "Photographer 📷",
    ],
    "zh": ["热爱生活", "香港人", "摄影爱好者 📷", "吃货一枚", "", "", "新闻工作者"],
    "sv": ["Lärare och löpare", "Stockholmare. Fika-entusiast ☕", "Journalist", "", "Pappa, cyklist"],
}
LOCATIONS = {
    -5: ["New York, NY", "Boston", "Toronto", "Atlanta, GA", "", ""],
    0: ["London", "Manchester, England", "Dublin", "", ""],
    1: ["Stockholm, Sverige", "Göteborg", "Berlin", "Malmö", ""],
    8: ["Hong Kong", "香港", "Taipei", "Singapore", "Kuala Lumpur", ""],
    9: ["Tokyo", "Seoul", ""],
}

_SLOT_NAMES = [
    "adj",
    "thing",
    "show",
    "activity",
    "feeling",
    "num",
    "weather",
    "topic",
    "opinion",
    "greeting",
    "city",
    "relative",
    "animal",
    "food",
    "team",
]


def fill(template: str, words: dict[str, list[str]], rng: np.random.Generator) -> str:
    out = template
    for slot in _SLOT_NAMES:
        key = "{" + slot + "}"
        if key in out:
            choices = words.get(slot) or words["topic"]
            out = out.replace(key, choices[int(rng.integers(len(choices)))])
    if "{emoji}" in out:
        out = out.replace("{emoji}", (" " + EMOJI[int(rng.integers(len(EMOJI)))]) if rng.random() < 0.6 else "")
    return out


def sentence_pool(lang: str, size: int, rng: np.random.Generator) -> list[str]:
    """``size`` organic sentences in ``lang`` (duplicates allowed: real people repeat themselves too)."""
    tmpl = TEMPLATES[lang]
    return [fill(tmpl[int(rng.integers(len(tmpl)))], SLOTS[lang], rng) for _ in range(size)]


def op_sentence(lang: str, rng: np.random.Generator) -> str:
    tmpl = OP_TEMPLATES[lang]
    t = tmpl[int(rng.integers(len(tmpl)))]
    places = OP_PLACES[lang]
    t = t.replace("{place}", places[int(rng.integers(len(places)))])
    return t.replace("{emoji}", EMOJI[int(rng.integers(len(EMOJI)))] if rng.random() < 0.5 else "")


def perturb(text: str, rng: np.random.Generator) -> str:
    """Light copy-paste perturbation: punctuation, an emoji, or one swapped word."""
    r = rng.random()
    if r < 0.3:
        return text.rstrip("!！。.") + ("！" if any(ord(c) > 0x2E80 for c in text) else "!")
    if r < 0.6:
        return f"{text} {EMOJI[int(rng.integers(len(EMOJI)))]}"
    for a, b in OP_SWAPS.items():
        if a in text:
            return text.replace(a, b, 1)
    return text + " ."


def state_media_sentence(rng: np.random.Generator) -> str:
    t = STATE_MEDIA_TEMPLATES[int(rng.integers(len(STATE_MEDIA_TEMPLATES)))]
    return t.replace("{place}", STATE_MEDIA_PLACES[int(rng.integers(len(STATE_MEDIA_PLACES)))])


def trend_tags(day_index: int, n: int, rng: np.random.Generator) -> list[str]:
    stems = rng.choice(len(TREND_STEMS), size=n, replace=False)
    return [
        f"{TREND_STEMS[int(s)]}{2019 + day_index // 365}"
        if rng.random() < 0.5
        else f"{TREND_STEMS[int(s)]}Day{day_index % 97}"
        for s in stems
    ]


def list_str(items: list[str]) -> str:
    """The archive's bracketed list syntax: ``[a, b]``, ``[]`` when empty."""
    return "[" + ", ".join(items) + "]"


def as_arrow(strings: list[str]) -> pa.Array:
    return pa.array(strings, type=pa.string())
