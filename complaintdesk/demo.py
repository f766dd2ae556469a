"""Demo data: realistic Chinese complaints, deterministic, fast for a million rows.

``register_complaint`` costs one transaction per complaint, which is right at
the counter and far too slow for ``demo --count 1000000``. Here rows are built
in Python and written with SQLAlchemy Core ``executemany`` in batches, each
batch one ``BEGIN IMMEDIATE`` transaction that keeps the same invariants as
registration: 受理编号 from ``daily_counter`` (continuing any existing counter,
so numbers never collide), customers shared by contact key, deadlines from the
configuration, the search indexes, and one audit event per complaint.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert
from sqlalchemy import text as sql
from sqlmodel import select

from . import search, staffing
from .complaints import format_number
from .config import deadlines_for
from .desk import Desk
from .enums import Category, Channel, Priority, Role, Status
from .errors import DomainError
from .models import AuditEvent, Complaint, Customer, Staff
from .text import normalize_contact

DEFAULT_SEED = 20261123
MAX_COUNT = 10_000_000

# ------------------------------------------------------------------ staff

COUNTERS = (("lixiaomei", "李晓梅"), ("wangqiang", "王强"), ("zhaomin", "赵敏"), ("chenjing", "陈静"))
HANDLERS = (("sunwei", "孙伟"), ("zhouyan", "周燕"), ("wuhao", "吴昊"), ("zhengli", "郑丽"),
            ("fengtao", "冯涛"), ("hejing", "何静"), ("luobin", "罗斌"), ("tangxue", "唐雪"))
SUPERVISORS = (("liuyang", "刘洋"), ("huangmin", "黄敏"))

# ------------------------------------------------------------------ people and places

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 文 华 金凤 "
         "志强 晓东 海燕 玉兰 子轩 梓涵 浩然 欣怡 宇航 思琪 俊杰 雨桐 嘉怡 博文 婷婷 建国 红梅 "
         "国庆 丽娟 春燕 立新 永刚 淑珍 家豪 诗雨").split()

CITIES = {
    "北京市": ("朝阳区", "海淀区", "丰台区", "通州区"),
    "上海市": ("浦东新区", "徐汇区", "闵行区", "静安区"),
    "广东省广州市": ("天河区", "越秀区", "番禺区", "白云区"),
    "广东省深圳市": ("南山区", "福田区", "宝安区", "龙岗区"),
    "浙江省杭州市": ("西湖区", "滨江区", "余杭区", "拱墅区"),
    "江苏省南京市": ("鼓楼区", "玄武区", "江宁区", "建邺区"),
    "江苏省苏州市": ("姑苏区", "工业园区", "吴中区", "相城区"),
    "四川省成都市": ("武侯区", "锦江区", "高新区", "成华区"),
    "湖北省武汉市": ("江汉区", "武昌区", "洪山区", "汉阳区"),
    "陕西省西安市": ("雁塔区", "碑林区", "未央区", "长安区"),
    "天津市": ("和平区", "河西区", "南开区", "滨海新区"),
    "山东省青岛市": ("市南区", "崂山区", "黄岛区", "李沧区"),
}
CITY_NAMES = tuple(CITIES)
ROADS = ("人民路", "建设路", "中山路", "解放路", "长江路", "科技路", "文化路", "和平路", "新华路",
         "滨河大道", "工业大道", "学府路", "东风路", "青年路", "光明路", "振兴路")
BRANDS = ("恒达", "鑫源", "华创", "宏远", "金诚", "盛世", "永兴", "瑞丰", "博远", "天成", "佳和",
          "信达", "鸿运", "安泰", "汇通", "中联", "新亚", "锦程", "百川", "嘉禾")
TRADES = ("商贸有限公司", "电子科技有限公司", "餐饮管理有限公司", "建材有限公司", "物流有限公司",
          "酒店管理有限公司", "贸易有限公司", "超市", "装饰工程有限公司", "医疗器械有限公司",
          "教育咨询有限公司", "便利店")
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com", "foxmail.com")
PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
          "ma", "zhu", "hu", "guo", "he", "gao", "lin", "luo", "wei", "fang", "min", "jing", "lei")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "166", "177", "180", "181", "186", "187",
                   "188", "189", "198", "199")
AREA_CODES = ("010", "021", "020", "0755", "0571", "025", "0512", "028", "027", "029", "022", "0532")

# ------------------------------------------------------------------ what they complain about

PRODUCTS = (
    ("智能电饭煲 IH-30", "台"), ("空气净化器 KJ-500", "台"), ("不锈钢保温杯 500ml", "个"),
    ("人体工学办公椅 M-2", "把"), ("LED 吸顶灯 48W", "盏"), ("A4 复印纸 70g", "箱"),
    ("儿童安全座椅 S3", "个"), ("蓝牙耳机 T5", "副"), ("净水器滤芯 RO-400", "支"),
    ("电动牙刷 P7", "支"), ("冷链生鲜礼盒", "盒"), ("乳胶床垫 1.8m", "张"),
    ("变频空调 KFR-35", "台"), ("商用冰柜 SC-300", "台"), ("扫地机器人 X10", "台"),
)
DEFECTS = ("无法开机", "运行时异响严重", "底部漏水", "外壳开裂", "电池鼓包", "有明显异味",
           "与宣传的功能不符", "使用中突然断电", "屏幕显示乱码", "密封圈老化脱落")

SERVICE_EVENTS = (
    "{date}致电客服热线咨询{product}的保修政策，排队等待{n}分钟后才接通，客服人员语气不耐烦，"
    "问题没有解答就挂断了电话。",
    "预约{date}上门安装{product}，安装师傅迟到{h}小时且未提前通知，安装完成后现场包装垃圾未清理。",
    "在门店咨询{product}时店员态度冷淡，多次询问无人理会，还说“不买就别问”。",
    "{date}申请售后维修，至今已超过{n}天，多次催促仍无人跟进，每次答复都是“正在处理中”。",
    "在线客服答复前后矛盾，先说{product}可以七天无理由退货，后又说已超过退货期限。",
    "客服承诺{date}前回电说明处理进度，但一直没有回电，再次来电需要重新说明情况。",
)
SERVICE_DEMANDS = ("要求客服主管书面道歉", "要求在{n}个工作日内安排上门维修",
                   "要求给出明确的处理时间并安排专人跟进", "要求对相关人员批评教育并回电说明",
                   "要求更换服务人员重新上门")

PRODUCT_EVENTS = (
    "{date}购买的{product}共{qty}{unit}，使用{n}天后出现{defect}的问题。",
    "快递破损：{date}收到的{product}外包装严重破损，{qty}{unit}中有{k}{unit}已经损坏，签收时快递员催促未能当面验货。",
    "{date}购买{product}，到货后发现{defect}，与商品详情页描述不一致。",
    "同批次{product}{qty}{unit}中多件{defect}，怀疑是产品质量问题，已影响正常使用。",
)
PRODUCT_DEMANDS = ("要求退货并全额退款", "要求更换新品", "要求赔偿损失 {amount} 元",
                   "要求出具第三方质检报告", "要求免费维修并延长保修期一年")

PRICE_EVENTS = (
    "{date}下单时页面显示价格 {p1} 元，结算时变为 {p2} 元，没有任何说明。",
    "购买{product}后第{n}天该商品降价 {d} 元，申请价格保护被拒绝。",
    "价格调整未通知：合同约定单价 {p1} 元/{unit}，{month}月账单却按 {p2} 元结算。",
    "安装费、远程配送费等附加费用事先未告知，共多收 {d} 元。",
    "会员折扣未生效，{product}按原价 {p2} 元扣款，客服称系统问题但未处理。",
)
PRICE_DEMANDS = ("要求退还差价 {d} 元", "要求按合同价格重新结算", "要求提供详细的收费明细",
                 "要求退款并取消订单", "要求补发优惠券并说明原因")

OTHER_EVENTS = (
    "订单号 {order} 承诺{n}日内送达，现已超时{k}天，物流信息{m}天未更新。",
    "快递员未经同意将{product}放在驿站，也没有通知取件，差点超时被退回。",
    "合同中关于保修范围的条款表述不清，售后以此为由拒绝维修{product}。",
    "{date}的订单发票迟迟未开具，多次联系财务均无结果，影响公司报销。",
    "退款申请{date}已审核通过，但退款至今未到账。",
)
OTHER_DEMANDS = ("要求尽快发货并补偿运费", "要求在{n}日内开具发票", "要求书面解释合同条款",
                 "要求三个工作日内退款到账", "要求说明延误原因并给予补偿")

CONTENT = {
    Category.SERVICE: (SERVICE_EVENTS, SERVICE_DEMANDS),
    Category.PRODUCT: (PRODUCT_EVENTS, PRODUCT_DEMANDS),
    Category.PRICE: (PRICE_EVENTS, PRICE_DEMANDS),
    Category.OTHER: (OTHER_EVENTS, OTHER_DEMANDS),
}
URGENT_NOTES_COMPANY = ("目前门店无法正常营业，损失还在扩大，请尽快处理。", "设备停机影响生产线，急需解决。")
URGENT_NOTES_PERSON = ("家中老人和小孩急需使用，请今天内答复。", "已影响正常生活，客户要求马上处理。")
MAJOR_NOTES = ("客户表示如不解决将向 12315 和消费者协会投诉。", "涉及金额较大，客户称将通过法律途径解决。",
               "客户已联系媒体，要求公司正式答复。")
EXTRA_NOTES = ("已提供照片和订单截图。", "客户希望通过微信联系。", "此前已多次反映同一问题。",
               "客户情绪激动，需耐心沟通。")

CHANNEL_WEIGHTS = {Channel.PHONE: 30, Channel.WECHAT: 22, Channel.WEB: 14, Channel.APP: 12,
                   Channel.EMAIL: 10, Channel.ONSITE: 8, Channel.OTHER: 4}
CATEGORY_WEIGHTS = {Category.SERVICE: 30, Category.PRODUCT: 35, Category.PRICE: 18, Category.OTHER: 17}
PRIORITY_WEIGHTS = {Priority.GENERAL: 65, Priority.MAJOR: 20, Priority.URGENT: 15}
# Share of the day's complaints by hour: the hotline runs round the clock, busy in office hours.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 9, 12, 12, 11, 8, 9, 11, 11, 10, 9, 7, 6, 5, 4, 2, 1)
REPEAT_SHARE = 0.22  # complaints from a customer who complained before
RECENT_CUSTOMERS = 4000


@dataclass
class DemoSummary:
    complaints: int
    new_customers: int
    staff_added: list[str] = field(default_factory=list)
    first_number: str | None = None
    last_number: str | None = None
    actor: str = ""

    def line(self) -> str:
        numbers = f"，受理编号 {self.first_number} … {self.last_number}" if self.complaints else ""
        staff = f"，新增员工 {len(self.staff_added)} 名" if self.staff_added else ""
        return f"已生成演示投诉 {self.complaints} 条，新客户 {self.new_customers} 位{staff}{numbers}"


class _Customer:
    __slots__ = ("name", "address", "contact", "key", "last_channel", "id", "company")

    def __init__(self, name: str, address: str, contact: str, last_channel: Channel,
                 company: bool):
        self.name, self.address, self.contact = name, address, contact
        self.company = company
        self.key = normalize_contact(contact)
        self.last_channel = last_channel
        self.id: int | None = None


@dataclass
class _Row:
    day: str  # local day of received_at, YYYYMMDD: the number's date
    received_at: datetime  # in the desk's zone
    customer: _Customer
    contact: str
    channel: Channel
    category: Category
    priority: Priority
    event: str
    demand: str
    product: str
    quantity: int | None
    receiver: str


# ------------------------------------------------------------------ generation

class _Generator:
    """Builds complaint rows. Uses ``random()`` with index arithmetic instead of
    ``choice``/``randrange``: three times faster, which matters at a million rows."""

    def __init__(self, rng: random.Random, receivers: list[str]):
        self.random = rng.random
        self.receivers = receivers
        self.recent: list[_Customer] = []
        self.recent_pos = 0
        self._channels = list(CHANNEL_WEIGHTS)
        self._channel_cum = _cumulative(CHANNEL_WEIGHTS.values())
        self._categories = list(CATEGORY_WEIGHTS)
        self._category_cum = _cumulative(CATEGORY_WEIGHTS.values())
        self._priorities = list(PRIORITY_WEIGHTS)
        self._priority_cum = _cumulative(PRIORITY_WEIGHTS.values())

    def pick(self, seq):  # type: ignore[no-untyped-def]
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """A whole number with low <= n < high."""
        return low + int(self.random() * (high - low))

    def weighted(self, seq, cum):  # type: ignore[no-untyped-def]
        return seq[bisect_right(cum, self.random() * cum[-1])]

    def person(self) -> str:
        return self.pick(SURNAMES) + self.pick(GIVEN)

    def mobile(self) -> str:
        return self.format_mobile(self.pick(MOBILE_PREFIXES) + f"{self.between(0, 10**8):08d}")

    def format_mobile(self, digits: str) -> str:
        style = self.random()
        if style < 0.6:
            return digits
        sep = " " if style < 0.8 else "-"
        return f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"

    def contact(self, channel: Channel) -> str:
        roll = self.random()
        if channel is Channel.EMAIL and roll < 0.85 or roll < 0.1:
            user = self.pick(PINYIN) + self.pick(PINYIN) + str(self.between(1, 9999))
            return f"{user}@{self.pick(MAIL_DOMAINS)}"
        if roll < 0.25:
            return f"{self.pick(AREA_CODES)}-{self.between(2, 9)}{self.between(0, 10**7):07d}"
        return self.mobile()

    def address(self, city: str) -> str:
        text = f"{city}{self.pick(CITIES[city])}{self.pick(ROADS)}{self.between(1, 999)}号"
        if self.random() < 0.5:
            text += f"{self.between(1, 30)}栋{self.between(1, 28)}0{self.between(1, 9)}室"
        return text

    def new_customer(self, channel: Channel) -> _Customer:
        city = self.pick(CITY_NAMES)
        if self.random() < 0.55:
            short_city = city[-3:-1] if city.endswith("市") and len(city) > 3 else city[:2]
            name = f"{short_city}{self.pick(BRANDS)}{self.pick(TRADES)}"
            return _Customer(name, self.address(city), self.contact(channel), channel, True)
        address = self.address(city) if self.random() < 0.7 else ""
        return _Customer(self.person(), address, self.contact(channel), channel, False)

    def customer(self, channel: Channel) -> tuple[_Customer, str, Channel]:
        """A new customer, or one who complained recently, now on another channel."""
        if self.recent and self.random() < REPEAT_SHARE:
            customer = self.pick(self.recent)
            if channel is customer.last_channel:
                channel = self.pick([c for c in self._channels if c is not channel])
            contact = customer.contact
            digits = normalize_contact(contact)
            if digits.isdigit() and len(digits) == 11:
                contact = self.format_mobile(digits)  # same number, typed differently
            customer.last_channel = channel
            return customer, contact, channel
        customer = self.new_customer(channel)
        if len(self.recent) < RECENT_CUSTOMERS:
            self.recent.append(customer)
        else:
            self.recent[self.recent_pos] = customer
            self.recent_pos = (self.recent_pos + 1) % RECENT_CUSTOMERS
        return customer, customer.contact, channel

    def content(self, category: Category, priority: Priority, day: date,
                company: bool) -> tuple[str, str, str, int | None]:
        events, demands = CONTENT[category]
        product, unit = self.pick(PRODUCTS)
        qty = self.between(5, 200) if company else self.pick((1, 1, 1, 2, 2, 3, 5))
        n = self.between(2, 15)
        earlier = day - timedelta(days=n + self.between(0, 10))
        p1 = self.between(50, 5000)
        values = {
            "date": f"{earlier.month}月{earlier.day}日", "product": product, "unit": unit,
            "qty": qty, "k": self.between(1, qty + 1), "n": n,
            "h": self.between(1, 5), "m": self.between(2, 6), "defect": self.pick(DEFECTS),
            "p1": p1, "p2": p1 + self.between(10, 800), "d": self.between(20, 600),
            "month": earlier.month, "amount": self.between(100, 20000),
            "order": f"{self.between(10**15, 10**16)}",
        }
        template = self.pick(events)
        event = template.format_map(values)
        if priority is Priority.URGENT:
            event += self.pick(URGENT_NOTES_COMPANY if company else URGENT_NOTES_PERSON)
        elif priority is Priority.MAJOR:
            event += self.pick(MAJOR_NOTES)
        if self.random() < 0.2:
            event += "\n补充：" + self.pick(EXTRA_NOTES)
        demand = self.pick(demands).format_map(values)
        if category is Category.PRODUCT or "{qty}" in template:
            return event, demand, product, qty
        if "{product}" in template:
            return event, demand, product, None
        return event, demand, "", None

    def rows(self, days: list[date], counts: list[int], now: datetime) -> Iterator[_Row]:
        zone = now.tzinfo
        hours = list(range(24))
        hour_cum = _cumulative(HOUR_WEIGHTS)
        index = 0
        for day, count in zip(days, counts):
            if not count:
                continue
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            day_text = day.strftime("%Y%m%d")
            limit = int((now - midnight).total_seconds()) if day == now.date() else 86_399
            seconds = []
            for _ in range(count):
                second = self.weighted(hours, hour_cum) * 3600 + self.between(0, 3600)
                seconds.append(second if second <= limit else self.between(0, limit + 1))
            seconds.sort()
            for second in seconds:
                # The first rows cycle through every value, so even a small demo shows them all.
                if index < len(self._channels):
                    channel = self._channels[index]
                    category = self._categories[index % len(self._categories)]
                    priority = self._priorities[index % len(self._priorities)]
                else:
                    channel = self.weighted(self._channels, self._channel_cum)
                    category = self.weighted(self._categories, self._category_cum)
                    priority = self.weighted(self._priorities, self._priority_cum)
                customer, contact, channel = self.customer(channel)
                event, demand, product, quantity = self.content(category, priority, day,
                                                                customer.company)
                receiver = (self.receivers[index] if index < len(self.receivers)
                            else self.pick(self.receivers))
                yield _Row(day_text, midnight + timedelta(seconds=second), customer, contact, channel,
                           category, priority, event, demand, product, quantity, receiver)
                index += 1


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _spread_over_days(rng: random.Random, now: datetime, months: int,
                      count: int) -> tuple[list[date], list[int]]:
    """How many complaints fall on each day of the last ``months`` months."""
    first = (now - relativedelta(months=months)).date()
    days = [first + timedelta(days=i) for i in range((now.date() - first).days + 1)]
    weights = []
    for i, day in enumerate(days):
        weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.5)[day.weekday()]
        weights.append(weekday * (0.8 + 0.4 * i / max(1, len(days) - 1)))
    # Today only as far as the clock has gone.
    elapsed = sum(HOUR_WEIGHTS[:now.hour]) + HOUR_WEIGHTS[now.hour] * now.minute / 60
    weights[-1] *= elapsed / sum(HOUR_WEIGHTS)
    counts = [0] * len(days)
    for i in rng.choices(range(len(days)), cum_weights=_cumulative(weights), k=count):
        counts[i] += 1
    return days, counts


# ------------------------------------------------------------------ staff

def _ensure_staff(desk: Desk, actor: str) -> tuple[list[str], list[str]]:
    """Add the demo staff an admin would have added; return (added, receivers)."""
    departments = desk.config.departments
    roster: list[tuple[str, str, str, str | None]] = [
        (login, name, Role.COUNTER.value, None) for login, name in COUNTERS]
    for i, dept in enumerate(departments):
        login, name = HANDLERS[i % len(HANDLERS)]
        if i >= len(HANDLERS):
            login = f"{login}{i // len(HANDLERS) + 1}"
        roster.append((login, name, Role.HANDLER.value, dept.code))
    roster += [(login, name, Role.SUPERVISOR.value, None) for login, name in SUPERVISORS]

    logins = [r[0] for r in roster]
    with desk.store.read() as session:
        existing = set(session.exec(select(Staff.login).where(Staff.login.in_(logins))))
    added = []
    for login, name, role, dept in roster:
        if login not in existing:
            staffing.add_staff(desk, actor, login, name, role, dept)
            added.append(login)
    with desk.store.read() as session:
        receivers = list(session.exec(select(Staff.login).where(
            Staff.login.in_(logins), Staff.active == True,  # noqa: E712
            Staff.role.in_([Role.COUNTER.value, Role.SUPERVISOR.value]))))
    # Counters take most calls; supervisors register the odd escalated walk-in.
    counters = [login for login, *_ in COUNTERS if login in receivers]
    others = [login for login in receivers if login not in counters]
    receivers = counters * 4 + others or [actor]
    return added, receivers


# ------------------------------------------------------------------ writing

def _assign_customers(conn, rows: list[_Row], now_utc: datetime) -> int:
    """Give every row's customer an id, inserting the new ones. Returns how many were new."""
    pending: dict[str, _Customer] = {}
    for row in rows:
        if row.customer.id is None and row.customer.key not in pending:
            pending[row.customer.key] = row.customer
    keys = list(pending)
    known: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ",".join(f":k{i}" for i in range(len(chunk)))
        result = conn.execute(sql(f"SELECT contact_key, id FROM customer WHERE contact_key IN ({marks})"),
                              {f"k{i}": key for i, key in enumerate(chunk)})
        known.update(dict(result.all()))
    next_id = conn.execute(sql("SELECT coalesce(max(id), 0) FROM customer")).scalar() + 1
    new_rows = []
    for key, customer in pending.items():
        if key in known:
            customer.id = known[key]
            continue
        customer.id = next_id
        next_id += 1
        new_rows.append({"id": customer.id, "name": customer.name, "address": customer.address,
                         "contact": customer.contact, "contact_key": key, "created_at": now_utc})
    for row in rows:  # another object of this batch with the same key
        if row.customer.id is None:
            row.customer.id = known.get(row.customer.key) or pending[row.customer.key].id
    if new_rows:
        conn.execute(insert(Customer.__table__), new_rows)
    return len(new_rows)


def _issue_numbers(conn, rows: list[_Row]) -> list[str]:
    """Continue each local day's counter, exactly as registration does."""
    numbers: list[str] = []
    day_of = [row.day for row in rows]
    i = 0
    while i < len(rows):
        day = day_of[i]
        j = i
        while j < len(rows) and day_of[j] == day:
            j += 1
        last = conn.execute(sql("SELECT last FROM daily_counter WHERE day = :day"),
                            {"day": day}).scalar() or 0
        numbers.extend(format_number(day, last + n) for n in range(1, j - i + 1))
        conn.execute(sql("INSERT INTO daily_counter(day, last) VALUES (:day, :last) "
                         "ON CONFLICT(day) DO UPDATE SET last = excluded.last"),
                     {"day": day, "last": last + (j - i)})
        i = j
    return numbers


def _write_batch(desk: Desk, rows: list[_Row], now: datetime) -> tuple[int, list[str]]:
    now_utc = now.astimezone(UTC)
    details: dict[tuple, str] = {}
    with desk.store.write() as session:
        conn = session.connection()
        new_customers = _assign_customers(conn, rows, now_utc)
        numbers = _issue_numbers(conn, rows)
        next_id = conn.execute(sql("SELECT coalesce(max(id), 0) FROM complaint")).scalar() + 1
        complaints, events = [], []
        for offset, (row, number) in enumerate(zip(rows, numbers)):
            # Deadlines count in local time (as registration does); stored as UTC, and
            # converting here once is cheaper than in every bind.
            first_due, resolution_due = deadlines_for(row.priority, row.received_at, desk.config)
            received_utc = row.received_at.astimezone(UTC)
            # Registered a few minutes after it came in (never after now).
            created = min(received_utc + timedelta(minutes=1 + (offset * 7) % 15), now_utc)
            escalated = row.priority is Priority.MAJOR
            complaints.append({
                "id": next_id + offset, "number": number, "customer_id": row.customer.id,
                "customer_name": row.customer.name, "address": row.customer.address,
                "contact": row.contact, "channel": row.channel.value,
                "received_at": received_utc, "event": row.event, "demand": row.demand,
                "category": row.category.value, "priority": row.priority.value,
                "priority_rank": row.priority.rank, "product": row.product,
                "quantity": row.quantity, "status": Status.REGISTERED.value,
                "received_by": row.receiver, "first_response_due": first_due.astimezone(UTC),
                "resolution_due": resolution_due.astimezone(UTC), "escalated": escalated,
                "department": None, "handler": None,
                "created_at": created, "updated_at": created, "version": 1,
                "due_at": first_due.astimezone(UTC), "closed": False,
            })
            key = (row.priority, row.channel)
            detail = details.get(key)
            if detail is None:
                detail = details[key] = json.dumps(
                    {"priority": row.priority.value, "channel": row.channel.value,
                     "escalated": escalated, "source": "demo"}, ensure_ascii=False)
            events.append({"at": created, "actor": row.receiver, "complaint_id": next_id + offset,
                           "action": "complaint.registered", "field": None, "before": None,
                           "after": number, "detail": detail})
        conn.execute(insert(Complaint.__table__), complaints)
        conn.execute(insert(AuditEvent.__table__), events)
        search.index_complaints(conn.connection.driver_connection, [
            (c["id"], c["number"], c["customer_name"], c["contact"], c["event"], c["demand"],
             c["product"]) for c in complaints])
    return new_customers, numbers


def fill_demo(desk: Desk, count: int = 200, seed: int = DEFAULT_SEED, *,
              actor: str | None = None, months: int = 6, batch_size: int = 10_000) -> DemoSummary:
    """Fill the database with ``count`` realistic complaints of the last ``months`` months.

    The same seed and clock give the same complaints. The acting user (default:
    the OS account, who becomes admin on an empty database) must be an admin:
    demo data has no place in a database someone else runs.

    Raises:
        PermissionDenied: the actor is not an admin.
        DomainError: ``count`` is out of range.
    """
    if not 0 <= count <= MAX_COUNT:
        raise DomainError(f"演示数据条数应在 0 到 {MAX_COUNT} 之间")
    if actor is None:
        actor = staffing.sign_in(desk, staffing.os_login()).login
    with desk.store.read() as session:
        staffing.require(session, actor, {Role.ADMIN}, "生成演示数据")
    added, receivers = _ensure_staff(desk, actor)

    rng = random.Random(seed)
    now = desk.now()
    days, counts = _spread_over_days(rng, now, months, count)
    generator = _Generator(rng, receivers)
    summary = DemoSummary(0, 0, added, actor=actor)
    batch: list[_Row] = []
    for row in generator.rows(days, counts, now):
        batch.append(row)
        if len(batch) >= batch_size:
            _flush(desk, batch, now, summary)
            batch = []
    if batch:
        _flush(desk, batch, now, summary)
    return summary


def _flush(desk: Desk, batch: list[_Row], now: datetime, summary: DemoSummary) -> None:
    new_customers, numbers = _write_batch(desk, batch, now)
    summary.complaints += len(numbers)
    summary.new_customers += new_customers
    summary.first_number = summary.first_number or numbers[0]
    summary.last_number = numbers[-1]


__all__ = ["DEFAULT_SEED", "DemoSummary", "fill_demo"]
