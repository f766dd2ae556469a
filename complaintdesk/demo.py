"""Demo data: realistic Chinese complaints, deterministic, fast for a million rows.

``register_complaint`` costs one transaction per complaint, which is right at
the counter and far too slow for ``demo --count 1000000``. Here rows are built
in Python and written with SQLAlchemy Core ``executemany`` in batches, each
batch one ``BEGIN IMMEDIATE`` transaction that keeps the same invariants as
registration: 受理编号 from ``daily_counter`` (continuing any existing counter,
so numbers never collide), customers shared by contact key, deadlines from the
configuration, the search indexes, and the registration's audit event.

Then each complaint is carried through the handling workflow as far as its age
allows (see "handling" below): responsibility, dispatch, investigation, the
《客户投诉处理单》, approval or return, telling the customer, second rounds, with
the rows and audit events workflow.py would have written, in the same
transaction as the complaint.
"""

from __future__ import annotations

import gc
import json
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert
from sqlalchemy import text as sql
from sqlmodel import select
from sqlmodel.sql.sqltypes import UTCDateTime

from . import search, staffing
from .complaints import format_number
from .config import deadlines_for
from .desk import Desk
from .enums import (Action, AgreementMethod, Category, Channel, HandlingMethod, Priority, Role,
                    Status)
from .errors import DomainError
from .models import AuditEvent, Complaint, Customer, HandlingSheet, Investigation, Staff
from .money import format_amount
from .text import normalize_contact
from .workflow import REVISIT_AFTER, TRANSITIONS

S, A = Status, Action
# A week in days is a timedelta (cheaper than relativedelta a hundred thousand times).
_WEEK = (timedelta(days=REVISIT_AFTER.days)
         if REVISIT_AFTER == relativedelta(days=REVISIT_AFTER.days) else REVISIT_AFTER)

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

def _ensure_staff(desk: Desk, actor: str) -> tuple[list[str], list[str], "_Cast"]:
    """Add the demo staff an admin would have added; return (added, receivers, cast)."""
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
        active = list(session.exec(select(Staff).where(
            Staff.login.in_(logins), Staff.active == True)))  # noqa: E712
        receivers = list(session.exec(select(Staff.login).where(
            Staff.login.in_(logins), Staff.active == True,  # noqa: E712
            Staff.role.in_([Role.COUNTER.value, Role.SUPERVISOR.value]))))
    order = {login: i for i, login in enumerate(logins)}
    active.sort(key=lambda s: order[s.login])
    handlers: dict[str, list[str]] = {}
    for s in active:
        if s.role == Role.HANDLER.value and s.department:
            handlers.setdefault(s.department, []).append(s.login)
    cast = _Cast(service=[s.login for s in active
                          if s.role in (Role.COUNTER.value, Role.SUPERVISOR.value)],
                 supervisors=[s.login for s in active if s.role == Role.SUPERVISOR.value],
                 handlers=handlers)
    # Counters take most calls; supervisors register the odd escalated walk-in.
    counters = [login for login, *_ in COUNTERS if login in receivers]
    others = [login for login in receivers if login not in counters]
    receivers = counters * 4 + others or [actor]
    return added, receivers, cast


# ------------------------------------------------------------------ handling (process.md §3-§6)
#
# Each complaint gets a story: the steps it will go through (judged ours or not,
# dispatched, investigated, a sheet drafted, returned or approved, the customer
# told, agreeing or opening a second round) with how long each takes. The story is
# cut at "now", so complaints received long ago are far along (待回访) and recent
# ones earlier in the flow. The steps are played as the core functions in
# workflow.py play them: the same columns, sheet versions and one audit event per
# step, its next status taken from workflow.TRANSITIONS.

DEPARTMENTS_FOR = {  # who usually answers for what (department codes of the default config)
    Category.PRODUCT: ("quality", "production", "rnd"),
    Category.SERVICE: ("service",),
    Category.PRICE: ("marketing",),
    Category.OTHER: ("service", "marketing"),
}

# (facts, root cause, corrective measure): one coherent case each.
CASES = {
    Category.SERVICE: (
        ("调取{date}的通话录音核实：客户来电排队约 {n} 分钟后接通，接线员未按话术解答保修政策，"
         "通话中两次打断客户并提前结束通话，客户所述属实。",
         "当日来电高峰排班不足，接线员连续接听 4 小时未轮休；该员工入职不满一个月，服务规范培训未完成考核。",
         "已调整高峰时段排班，对该员工进行服务规范再培训，并列为下月质检重点抽查对象。"),
        ("查询派工记录与安装师傅定位：师傅晚于约定时间约 {h} 小时到达，期间未致电客户说明；"
         "安装完毕后未清理包装物，客户提供的现场照片与记录一致。",
         "前序订单延误后调度未重新分配，派工系统没有超时提醒；安装验收单中没有现场清理项目。",
         "派工系统已增加迟到 30 分钟自动提醒调度，安装验收单增加“现场清理”签字项。"),
        ("查看门店当日监控录像并询问当班店员和店长：客户在柜台等候约 {n} 分钟无人接待，"
         "店员确有“不买就别问”等不当言语。",
         "门店考核只看销售额，员工服务意识淡薄；店长对现场服务管理不到位。",
         "已对当事店员通报批评并扣减当月服务考核分，门店考核增加服务满意度指标。"),
        ("售后工单系统显示：维修单受理后 {n} 天未派工，客户催促 {k} 次均只记录“已催办”，无实质跟进。",
         "售后与维修网点之间信息不同步，工单超时无人负责；催办只记录不升级。",
         "工单超过 48 小时未派工自动升级至售后主管，每日晨会通报超时工单。"),
        ("核对在线客服聊天记录：同一会话中先答复可七天无理由退货，后又称已超过退货期限，"
         "答复前后矛盾属实；客户实际仍在退货期限内。",
         "在线客服知识库中退货政策有新旧两个版本，客服人员引用了已作废的条款。",
         "已清理知识库中作废的退货条款，并对在线客服组进行政策口径培训。"),
    ),
    Category.PRODUCT: (
        ("对客户寄回的{product}拆机检测，确认存在{defect}的问题；调取同批次（批号 {batch}）留样抽检 {n} 件，"
         "其中 {k} 件存在同类问题。",
         "供应商提供的电源板批次来料不良，进货检验抽检比例偏低，未能发现。",
         "该批次产品已全部下架复检，已向供应商发出质量整改通知，进货抽检比例提高到 10%。"),
        ("查验物流签收单与运输记录：外包装破损发生在中转环节，签收时未当面验货；"
         "客户提供的开箱照片显示商品损坏，与描述一致。",
         "包装缓冲材料不足以承受长途运输，承运商中转装卸不规范。",
         "已改用加厚包装并增加角部缓冲，已约谈承运商并按合同追偿。"),
        ("技术人员上门检测，{defect}现象可复现；核对生产记录，该机为装配线夜班生产（批号 {batch}），"
         "扭矩检测数据缺失。",
         "装配工序扭矩设定偏差，夜班出厂检验漏检该项目。",
         "已校准装配线扭矩设备，出厂检验将该项目列为必检并留存记录。"),
        ("核对商品详情页与实物：页面宣传的功能该型号实际不具备，详情页文案未随产品改款更新，客户反映属实。",
         "产品改款后市场部未同步更新商品详情页，上线审核流于形式。",
         "已下线并更正详情页，建立产品改款与宣传资料同步更新的核对清单。"),
    ),
    Category.PRICE: (
        ("核对订单与价格系统日志：促销价于下单当日 {hh} 时失效，结算页未作提示而按原价结算，"
         "多收 {d} 元属实。",
         "促销结束时系统只切换价格，没有提示购物车中的在途订单。",
         "价格系统已增加在途订单的价格变动提示，促销结束前一小时在页面公告。"),
        ("核对合同与{month}月账单：合同单价已于签约时下调，但计费系统仍按旧单价结算，差额共计 {d} 元。",
         "合同价格变更后销售未提交计费变更单，财务审核时未比对合同。",
         "合同变更与计费变更已合并为一个流程，财务每月核对大客户账单与合同。"),
        ("核查附加费用收取记录：安装费、远程配送费标准下单时未公示，销售人员也未事先告知客户。",
         "收费标准只写在内部文件里，未在销售页面和门店公示；销售人员培训不足。",
         "已在下单页和门店公示全部附加费用标准，销售人员须当面告知并由客户确认。"),
        ("查询会员系统：该客户为有效会员，系统升级期间折扣规则未同步，订单未享受会员价；"
         "客服答复“系统问题”后未提交工单。",
         "系统升级测试未覆盖会员折扣场景；客服遇到系统问题没有升级渠道。",
         "已补测会员折扣全部场景，客服系统增加“系统故障”一键转技术支持。"),
    ),
    Category.OTHER: (
        ("查询物流轨迹：包裹在{city}中转站滞留 {k} 天，承运商系统无异常记录，我方也未跟踪超时订单。",
         "承运商异常件处理时效差；我方缺少对物流长时间未更新订单的监控。",
         "已上线物流超时预警，48 小时未更新的订单由客服主动联系客户。"),
        ("核实财务开票记录：客户的发票申请因税号一位错误被系统退回，财务未通知客户更正，申请一直搁置。",
         "开票退回后没有通知客户的环节，财务与客服之间没有交接。",
         "开票退回时系统自动短信通知客户，财务在三个工作日内回访。"),
        ("退款于审核通过次日提交银行，因客户收款账户信息不一致被退回，系统未告知客户，也未重新发起。",
         "退款失败没有自动提醒，财务人员未查看银行退回清单。",
         "退款失败自动生成工单派给财务专员，当日联系客户更正账户。"),
        ("合同第 {n} 条关于保修范围的表述确有歧义，售后人员按最窄的口径解释并拒绝维修，客户反映属实。",
         "合同模板条款未经法务复核，售后口径不统一。",
         "法务已修订合同模板条款，售后按有利于客户的口径执行并统一培训。"),
    ),
}
FINDINGS = ("属我方责任，{dept}在该环节存在疏漏，客户诉求合理。",
            "我方负主要责任；承运商或供应商负次要责任，由我方先行处理后再向其追偿。",
            "经核实客户所述属实，责任在我方，相关人员已按公司制度处理。",
            "属我方责任。客户在使用中亦有不当之处，但不影响对我方责任的认定。")
EVIDENCE = {
    "document": (("订单及付款记录截图", "pdf"), ("售后工单流转记录", "pdf"), ("第三方质检报告", "pdf"),
                 ("物流签收单及运输记录", "pdf"), ("合同及{month}月账单", "pdf"),
                 ("价格系统变更日志", "xlsx"), ("通话录音文字稿", "docx")),
    "photo": (("客户提供的商品损坏照片 {k} 张", "jpg"), ("外包装破损照片", "jpg"),
              ("安装现场照片", "jpg"), ("产品铭牌及批次号照片", "jpg")),
    "video": (("门店监控录像片段（约 {n} 分钟）", "mp4"), ("客户提供的开箱视频", "mp4"),
              ("拆机检测过程录像", "mp4")),
    "witness": (("当班店员{person}的情况说明", ""), ("安装师傅{person}的书面说明", ""),
                ("快递员{person}的证言", ""), ("维修网点负责人{person}的说明", "")),
}
EVIDENCE_KINDS = tuple(EVIDENCE)
EVIDENCE_DIR = "/srv/complaintdesk/evidence"

METHOD_WEIGHTS = {
    Category.PRODUCT: {HandlingMethod.RETURN: 35, HandlingMethod.COMPENSATION: 30,
                       HandlingMethod.DISCOUNT: 15, HandlingMethod.OTHER: 20},
    Category.SERVICE: {HandlingMethod.OTHER: 55, HandlingMethod.COMPENSATION: 30,
                       HandlingMethod.DISCOUNT: 15},
    Category.PRICE: {HandlingMethod.DISCOUNT: 55, HandlingMethod.COMPENSATION: 30,
                     HandlingMethod.OTHER: 15},
    Category.OTHER: {HandlingMethod.COMPENSATION: 40, HandlingMethod.OTHER: 45,
                     HandlingMethod.DISCOUNT: 15},
}
#: Loss in whole yuan (low, high) by method; an "other" remedy usually costs nothing.
LOSS_YUAN = {HandlingMethod.COMPENSATION: (50, 5000), HandlingMethod.RETURN: (89, 4000),
             HandlingMethod.DISCOUNT: (20, 800), HandlingMethod.OTHER: (30, 300)}
RESULTS = {
    HandlingMethod.COMPENSATION: (
        "经调查属我方责任，同意一次性赔偿客户损失 {amount}，三个工作日内原路退回客户账户。",
        "按公司赔偿标准赔偿客户 {amount}，并由{dept}负责人向客户当面致歉。"),
    HandlingMethod.RETURN: (
        "同意为客户办理“{product}”退货，安排上门取件，货款 {amount} 于收到退货后三个工作日内原路退回，运费由我方承担。",
        "为客户办理退货退款，全额退还货款 {amount}，另赠送运费券一张。"),
    HandlingMethod.DISCOUNT: (
        "商品不影响正常使用，经与客户协商按折价处理，退还差价 {amount}。",
        "同意按约定价格重新结算，退还多收款项 {amount}。"),
    HandlingMethod.OTHER: (
        "安排技术人员上门免费维修并更换配件，保修期延长一年，并向客户书面致歉。",
        "由{dept}主管上门致歉，相关人员已批评教育，赠送免费保养服务一次。"),
}
OTHER_WITH_COST = "尽快补办并快递寄送，承担客户因此产生的费用 {amount}，并向客户致歉。"
SECOND_ROUND_LEAD = "客户对第一次处理结果不满意，经再次协商："
RECEIVER_OPINIONS = ("客户诉求合理，同意按此方案处理，请尽快回复客户。",
                     "已与客户电话沟通方案，客户初步表示可以接受。",
                     "建议同时向客户书面致歉，并在回访时确认落实情况。",
                     "客户是老客户，建议适当从优处理。")
MANAGER_OPINIONS = ("同意。由{dept}负责落实，三个工作日内完成。", "同意处理方案，对相关责任人通报批评。",
                    "同意，请质量管理部跟踪同类问题。", "同意，注意保留处理凭证。")
IMPLEMENTATION_OPINIONS = ("同意，按方案执行；财务部三个工作日内办理付款。",
                           "同意。{dept}落实，客户服务部跟进回访。",
                           "同意，金额已核实无误，按流程办理。",
                           "同意方案，告知客户时一并说明整改措施。")
RETURN_REASONS = ("损失金额缺少依据，请补充发票或检测报告后重新提交。",
                  "处理方式与调查结论不一致，请核实后重新提交。",
                  "未写明退款时限和具体责任人，请补充。",
                  "赔偿金额超出公司标准，请与客户协商折价方案。",
                  "方案没有回应客户提出的全部诉求，请补充说明。")
RESUBMIT_NOTE = "\n已按主管退回意见修改后重新提交。"
AGREED_OPINIONS = ("同意处理结果，已签字确认。", "对处理结果满意，感谢及时处理。",
                   "基本满意，希望今后改进服务。", "同意，款项已收到。")
DISAGREED_OPINIONS = ("不同意，赔偿金额不足以弥补实际损失，要求重新处理。", "不接受折价，坚持退货退款。",
                      "对处理时效不满意，要求追加补偿。", "方案没有解决根本问题，要求更换新品。")
NOT_OURS = (
    "经核实，商品已超过保修期 {n} 个月，且损坏系人为摔落所致，不属于保修范围；已向客户说明保修政策并提供有偿维修报价。",
    "客户所述订单为第三方平台商家销售，并非我公司商品；已告知客户联系平台处理，并提供平台客服电话。",
    "物流延误系收货地址填写错误所致；已协助客户更正地址并安排重新派送。",
    "经技术人员检测，产品功能正常，客户反映的问题系未按说明书操作所致；已现场演示正确的使用方法。",
    "客户要求的赔偿不在合同约定范围内；已逐条解释合同条款，客户表示理解。",
    "价格差异是因为下单时未登录会员账号，按公示规则不能补差；已向客户说明。",
)
ESCALATE_REASONS = ("客户情绪激动、多次来电，上报管理层关注。", "涉及同批次产品质量问题，需管理层协调各部门。",
                    "处理时间较长，客户要求公司负责人答复。")
AGREEMENT_WEIGHTS = {AgreementMethod.PHONE: 40, AgreementMethod.WECHAT: 25,
                     AgreementMethod.COUNTER: 15, AgreementMethod.SIGNATURE: 20}
OPINION_WEIGHTS = {AgreementMethod.SIGNATURE: 45, AgreementMethod.PHONE: 30,
                   AgreementMethod.WECHAT: 20, AgreementMethod.COUNTER: 5}

NOT_OURS_SHARE = 0.15       # judged not the company's responsibility
DRAFT_FIRST_SHARE = 0.5     # a draft saved before the sheet is submitted
RETURN_SHARE = 0.12         # a submitted sheet sent back by the supervisor
SECOND_ROUND_SHARE = 0.08   # the customer disagrees with the first plan
ESCALATE_SHARE = 0.03       # a supervisor escalates a 紧急/一般 complaint along the way
STALL_SHARE = 0.04          # one step waits weeks (customer unreachable, parts on order)
SUPERVISOR_DRAFTS = 0.07    # a supervisor drafts the sheet himself
#: A step's duration in hours (low, high) for a 一般 complaint; PACE speeds up the others.
STEP_HOURS = {A.DISPATCH: (0.5, 10), A.RECORD_INVESTIGATION: (6, 70), A.SAVE_SHEET: (1, 20),
              A.SUBMIT_SHEET: (1, 24), A.APPROVE: (1, 20), A.RETURN: (1, 20),
              A.INFORM_CUSTOMER: (1, 20), A.CUSTOMER_AGREES: (4, 60),
              A.CUSTOMER_DISAGREES: (4, 60), A.ESCALATE: (1, 24)}
PACE = {Priority.URGENT: 0.2, Priority.MAJOR: 0.5, Priority.GENERAL: 1.0}
#: A small demo makes sure every status shows: the first complaint younger than this
#: many days becomes one in that status if none is yet (its steps squeezed to fit).
SHOWCASE_DAYS = {S.SECOND_ROUND: 8.0, S.INFORMED: 6.5, S.APPROVED: 5.5, S.RETURNED: 5.0,
                 S.PENDING_APPROVAL: 4.5, S.DRAFTING: 3.5, S.INVESTIGATING: 2.0,
                 S.ACCEPTED: 1.2, S.REGISTERED: 0.5, S.REVISIT: 30.0}


_CODE = {m: m.value for enum in (Status, Action, AgreementMethod, HandlingMethod) for m in enum}
_EVENT = {a: f"workflow.{a.value}" for a in Action}
_JSON = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per dumps()
_QUOTED: dict[str, str] = {}


def _q(text: str) -> str:
    """``text`` as a JSON string. The audit details are written as text, the way
    json.dumps(..., ensure_ascii=False) writes them; a million dumps() would cost seconds."""
    quoted = _QUOTED.get(text)
    if quoted is None:
        quoted = json.dumps(text, ensure_ascii=False)
        if len(_QUOTED) < 10_000:
            _QUOTED[text] = quoted
    return quoted


@dataclass
class _Cast:
    """Who plays which part: the active demo staff by role."""

    service: list[str]        # counter clerks and supervisors: judge, tell the customer
    supervisors: list[str]    # dispatch, approve, return, escalate
    handlers: dict[str, list[str]]  # department code → its handlers


class _Values(dict):
    """Values for a story's text templates, each made on first use (format_map asks
    ``__missing__``): most stories need only a few of them."""

    make: Callable[[str], object]

    def __missing__(self, key: str) -> object:
        value = self[key] = self.make(key)
        return value


VALUE_RANGES = {"n": (3, 40), "k": (2, 6), "h": (2, 5), "hh": (0, 24), "d": (20, 600),
                "month": (1, 13)}
FINDINGS_POOL = 48  # investigation texts kept per (category, department)
_NUMBER_MARK = "@NUMBER@"  # the complaint number in a pooled evidence path
_UNEVEN = timedelta(-1)  # marks a day with a clock change in reach (never a real shift)


class _Case:
    """One complaint while its story is played."""

    __slots__ = ("c", "status", "values", "category", "service", "handler", "drafter",
                 "sheet", "plan", "number")


class _Handling:
    """Plays the handling workflow over freshly built complaint rows.

    Times inside are naive UTC datetimes (the stored form; an aware isoformat costs
    four times as much, at eight events a complaint); the complaint row gets aware ones.
    """

    def __init__(self, rng: random.Random, cast: _Cast, desk: Desk, now: datetime, total: int):
        self.random = rng.random
        self.cast = cast
        self.zone = now.tzinfo
        self.now_utc = now.astimezone(UTC).replace(tzinfo=None)
        self.total = total
        self.index = 0
        self.missing = sorted(SHOWCASE_DAYS, key=SHOWCASE_DAYS.get, reverse=True)
        self.service_set = set(cast.service)
        self.departments = {cat: [d for d in codes if d in cast.handlers] or list(cast.handlers)
                            for cat, codes in DEPARTMENTS_FOR.items()}
        self.all_departments = [d.code for d in desk.config.departments]
        self.all_handlers = [h for hs in cast.handlers.values() for h in hs]
        self.dept_names = {d.code: d.name for d in desk.config.departments}
        self._methods = {cat: (list(w), _cumulative(w.values())) for cat, w in METHOD_WEIGHTS.items()}
        self._agreement = (list(AGREEMENT_WEIGHTS), _cumulative(AGREEMENT_WEIGHTS.values()))
        self._opinion = (list(OPINION_WEIGHTS), _cumulative(OPINION_WEIGHTS.values()))
        self._week_shift: dict[date, timedelta] = {}
        self._approvers: dict[tuple, list[str]] = {}
        self._findings: dict[tuple, list[tuple]] = {}
        self.investigations: list[tuple] = []  # rows in _INVESTIGATION_COLUMNS order
        self.sheets: list[dict] = []  # changed step by step; rows once the batch is played
        self.events: list[tuple] = []  # rows in _EVENT_COLUMNS order

    # dice (as in _Generator: random() and index arithmetic, for speed)
    def pick(self, seq):  # type: ignore[no-untyped-def]
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low))

    def weighted(self, pair):  # type: ignore[no-untyped-def]
        seq, cum = pair
        return seq[bisect_right(cum, self.random() * cum[-1])]

    # ------------------------------------------------------------ the story

    def _script(self, priority: Priority, first_hours: float, forced: Status | None,
                ours: bool) -> list[list]:
        """The steps ahead as [action, whole seconds after the previous step (≥ 60)]."""
        r = self.random
        pace = PACE[priority] * 3600
        # Judged within the first-response window, mostly well inside it.
        judged = max(60, int(first_hours * (0.05 + 0.7 * r()) * 3600))
        if not ours:
            return [[A.JUDGE_NOT_OURS, judged]]
        steps: list[list] = [[A.JUDGE_OURS, judged]]
        if not self.cast.supervisors or not self.cast.handlers:
            return steps  # nobody to dispatch to: the story stops at 已受理

        def add(action: Action, scale: float = pace) -> None:
            low, high = STEP_HOURS[action]
            steps.append([action, max(60, int((low + r() * (high - low)) * scale))])

        add(A.DISPATCH)
        add(A.RECORD_INVESTIGATION)
        rounds = 2 if forced is S.SECOND_ROUND or (
            forced is None and r() < SECOND_ROUND_SHARE) else 1
        for rnd in range(1, rounds + 1):
            if rnd == 2:
                add(A.SAVE_SHEET, pace * 2)  # always a draft: the second sheet exists
            elif r() < DRAFT_FIRST_SHARE:
                add(A.SAVE_SHEET)
            add(A.SUBMIT_SHEET)
            if (forced is S.RETURNED and rnd == 1) or (forced is None and r() < RETURN_SHARE):
                add(A.RETURN)
                add(A.SUBMIT_SHEET, pace * 1.5)
            add(A.APPROVE)
            add(A.INFORM_CUSTOMER)
            add(A.CUSTOMER_DISAGREES if rnd < rounds else A.CUSTOMER_AGREES,
                1800 if priority is Priority.URGENT else 3600)
        return steps

    def _cut(self, steps: list[list], created: datetime) -> list[tuple[Action, datetime]]:
        """The steps done by now, with their times."""
        done = []
        seconds = 0
        limit = int((self.now_utc - created).total_seconds())
        for action, delay in steps:
            seconds += delay
            if seconds > limit:
                # A second round always has its new draft: pull that save in before now.
                if done and done[-1][0] is A.CUSTOMER_DISAGREES and action is A.SAVE_SHEET:
                    last = done[-1][1]
                    if self.now_utc - last > timedelta(seconds=2):
                        done.append((action, last + (self.now_utc - last) / 2))
                break
            done.append((action, created + timedelta(seconds=seconds)))
        return done

    def _squeeze(self, steps: list[list], target: Status,
                 created: datetime) -> list[tuple[Action, datetime]] | None:
        """The steps up to ``target`` fitted between registration and now, or None."""
        status, upto = S.REGISTERED, 0
        if target is not S.REGISTERED:
            for upto, (action, _s) in enumerate(steps, start=1):
                status = TRANSITIONS[(status, action)][0]
                if status is target:
                    break
            else:
                return None
            if target is S.SECOND_ROUND:
                upto += 1  # and the second sheet's first draft
        prefix = steps[:upto]
        room = (self.now_utc - created).total_seconds()
        if room < 120 * (len(prefix) + 1):
            return None
        need = sum(s for _a, s in prefix)
        scale = min(1.0, room * 0.9 / need) if need else 1.0
        done, at = [], created
        for action, seconds in prefix:
            at = at + timedelta(seconds=max(1, int(seconds * scale)))
            done.append((action, at))
        return done

    def play(self, c: dict, row: _Row, number: str) -> None:
        """Play this complaint's story up to now onto its row, adding sheets and events."""
        self.index += 1
        if not self.cast.service:
            return  # nobody at the counter: everything stays 已登记
        created = c["created_at"].replace(tzinfo=None)  # UTC
        first_hours = (c["first_response_due"] - c["received_at"]).total_seconds() / 3600
        ours = self.random() >= NOT_OURS_SHARE
        steps = self._script(row.priority, first_hours, None, ours)
        if self.random() < STALL_SHARE:
            steps[int(self.random() * len(steps))][1] += int((5 + 40 * self.random()) * 86400)
        if (ours and row.priority is not Priority.MAJOR and len(steps) > 2
                and self.random() < ESCALATE_SHARE):
            at = 1 + int(self.random() * (len(steps) - 1))
            if steps[at - 1][0] is not A.CUSTOMER_DISAGREES:
                steps.insert(at, [A.ESCALATE, max(60, int(STEP_HOURS[A.ESCALATE][1] * 3600
                                                          * self.random()))])
        done = self._cut(steps, created)
        if self.missing:
            status = S.REGISTERED
            for action, _at in done:
                status = TRANSITIONS[(status, action)][0]
            if status in self.missing:
                self.missing.remove(status)
            else:
                done = self._showcase(row, first_hours, created, done)
        if not done:
            return
        k = _Case()
        k.c, k.status, k.number, k.category = c, S.REGISTERED, number, row.category
        k.service = row.receiver if row.receiver in self.service_set else self.pick(self.cast.service)
        k.handler = k.drafter = None
        k.sheet = k.plan = None
        k.values = self._values(row)
        apply = self._apply
        for action, at in done:
            apply(k, action, at)
        c["status"] = _CODE[k.status]
        c["version"] += len(done)  # one per step, as workflow._act counts
        c["updated_at"] = done[-1][1].replace(tzinfo=UTC)

    def _showcase(self, row: _Row, first_hours: float, created: datetime,
                  done: list[tuple[Action, datetime]]) -> list[tuple[Action, datetime]]:
        age = (self.now_utc - created).total_seconds() / 86400
        last_chance = self.total - self.index < len(self.missing)
        for target in self.missing:  # oldest-looking status first
            if age > SHOWCASE_DAYS[target] and not last_chance:
                continue
            steps = self._script(row.priority, first_hours, target, target is not S.REVISIT
                                 or self.random() >= NOT_OURS_SHARE)
            squeezed = self._squeeze(steps, target, created)
            if squeezed is not None:
                self.missing.remove(target)
                return squeezed
        return done

    def _values(self, row: _Row) -> _Values:
        values = _Values(dept="", amount="")
        values.make = self._value
        if row.product:
            values["product"] = row.product
        return values

    def _value(self, key: str) -> object:
        """A template value, made the first time a story's text needs it."""
        between = self.between
        if key == "product":
            return self.pick(PRODUCTS)[0]
        if key == "defect":
            return self.pick(DEFECTS)
        if key == "person":
            return self.pick(SURNAMES) + self.pick(GIVEN)
        if key == "date":
            return f"{between(1, 13)}月{between(1, 29)}日"
        if key == "batch":
            return f"{between(2024, 2027)}{between(1, 13):02d}-{between(1, 99):02d}"
        if key == "city":
            return self.pick(CITY_NAMES)[-3:]
        low, high = VALUE_RANGES[key]
        return between(low, high)

    def _plus_week(self, at: datetime) -> datetime:
        """workflow.REVISIT_AFTER from a moment, counted on the desk's calendar (an aware
        datetime plus a timedelta keeps the wall clock, as relativedelta does).

        The zone's conversions are slow and the shift is the same all day unless a
        clock change falls within that day or a week after it: kept per UTC day,
        worked out exactly only on such days."""
        day = at.date()
        shift = self._week_shift.get(day)
        if shift is None:
            start = datetime(day.year, day.month, day.day)
            first, last = self._exact_week(start), self._exact_week(start + timedelta(days=1))
            shift = self._week_shift[day] = first if first == last else _UNEVEN
        return at + (self._exact_week(at) if shift is _UNEVEN else shift)

    def _exact_week(self, at: datetime) -> timedelta:
        local = at.replace(tzinfo=UTC).astimezone(self.zone)
        return (local + _WEEK).astimezone(UTC).replace(tzinfo=None) - at

    def _supervisor(self, *not_these: str | None) -> str:
        choices = self._approvers.get(not_these)
        if choices is None:
            choices = self._approvers[not_these] = [
                s for s in self.cast.supervisors if s not in not_these]
        return self.pick(choices)

    def _cents(self, method: HandlingMethod) -> int:
        low, high = LOSS_YUAN[method]
        if method is HandlingMethod.OTHER and self.random() < 0.7:
            return 0
        yuan = self.between(low, high + 1)
        roll = self.random()
        if roll < 0.45:
            return yuan * 100
        if roll < 0.7:
            return yuan * 100 + 50
        return yuan * 100 + self.between(1, 100)

    def _plan(self, k: _Case, rnd: int) -> dict:
        """What the sheet of round ``rnd`` will say when it is submitted."""
        first = k.plan
        if rnd == 1 or first is None:
            method = self.weighted(self._methods[k.category])
            cents = self._cents(method)
        elif first["method"] != "return" and self.random() < 0.4:  # wants a return after all
            method = HandlingMethod.RETURN
            cents = self._cents(method)
        else:  # wants more: a compensation above the first plan (or on top of the return)
            method = HandlingMethod.COMPENSATION
            base = 0 if first["method"] == "return" else first["loss_cents"] or 0
            cents = max(self._cents(method), int(base * (1.2 + 0.6 * self.random())))
        return {"method": _CODE[method], "loss_cents": cents,
                "receiver_opinion": self.pick(RECEIVER_OPINIONS),
                "manager_opinion": self.pick(MANAGER_OPINIONS).format_map(k.values),
                "result": self._result(k, method, cents, rnd)}

    def _result(self, k: _Case, method: HandlingMethod, cents: int, rnd: int) -> str:
        k.values["amount"] = format_amount(cents)
        template = OTHER_WITH_COST if method is HandlingMethod.OTHER and cents else \
            self.pick(RESULTS[method])
        text = template.format_map(k.values)
        return SECOND_ROUND_LEAD + text if rnd > 1 else text

    def _new_sheet(self, k: _Case, at: datetime, actor: str) -> dict:
        c = k.c
        sheet = {"complaint_id": c["id"], "round": c["round"],
                 "sheet_number": f"CL-{k.number.removeprefix('TS-')}-{c['round']}",
                 "department": c["department"] or "", "handling_date": at, "result": "",
                 "receiver_opinion": "", "manager_opinion": "", "customer_opinion": "",
                 "method": None, "loss_cents": None, "product": c["product"],
                 "quantity": c["quantity"], "state": "draft", "drafted_by": actor,
                 "submitted_at": None, "submitted_by": None, "decided_by": None,
                 "decided_at": None, "implementation_opinion": None, "return_reason": None,
                 "updated_by": actor, "updated_at": at, "version": 1}
        self.sheets.append(sheet)
        k.sheet = sheet
        k.plan = self._plan(k, c["round"])
        return sheet

    def _investigation(self, k: _Case, at: datetime) -> int:
        """Record the department's findings; returns how many pieces of evidence.

        A department writes much the same findings for the same kind of case: each
        (category, department) keeps a pool of a few dozen, which also keeps a
        million-complaint demo from formatting a million reports."""
        key = (k.category, k.c["department"])
        pool = self._findings.setdefault(key, [])
        if len(pool) < FINDINGS_POOL:
            pool.append(self._findings_text(k))
        facts, cause, finding, report, evidence, count = self.pick(pool)
        self.investigations.append((
            k.c["id"], k.c["round"], facts, cause, evidence.replace(_NUMBER_MARK, k.number),
            finding, report, k.handler, at.isoformat(" ", "microseconds")))
        return count

    def _findings_text(self, k: _Case) -> tuple[str, str, str, str, str, int]:
        facts, cause, measure = self.pick(CASES[k.category])
        v = k.values
        facts, cause = facts.format_map(v), cause.format_map(v)
        finding = self.pick(FINDINGS).format_map(v)
        report = f"{v['dept']}调查结论：{finding}\n整改措施：{measure}"
        evidence = []
        for i in range(1, self.pick((0, 1, 1, 2, 2, 2, 3, 3)) + 1):
            kind = self.pick(EVIDENCE_KINDS)
            description, ext = self.pick(EVIDENCE[kind])
            path = f"{EVIDENCE_DIR}/{_NUMBER_MARK}/{i}-{kind}.{ext}" if ext and self.random() < 0.6 \
                else ""
            evidence.append({"kind": kind, "description": description.format_map(v), "path": path})
        return facts, cause, finding, report, _JSON(evidence), len(evidence)

    def _apply(self, k: _Case, action: Action, at: datetime) -> None:
        """One step, as the workflow function of the same name does it."""
        c = k.c
        before = k.status
        after = TRANSITIONS[(before, action)][0]
        if action is A.SUBMIT_SHEET or action is A.SAVE_SHEET:
            if k.drafter is None:
                k.drafter = (self.pick(self.cast.supervisors) if len(self.cast.supervisors) > 1
                             and self.random() < SUPERVISOR_DRAFTS else k.handler)
            actor = k.drafter
            sheet = k.sheet if k.sheet is not None and k.sheet["round"] == c["round"] else None
            if sheet is None:
                sheet = self._new_sheet(k, at, actor)
            else:
                sheet["version"] += 1
            plan = k.plan
            if sheet["state"] == "returned":
                sheet["state"] = "draft"
                # Reworked as the supervisor asked: a compensation comes down, the note says why.
                if plan["method"] == "compensation" and plan["loss_cents"]:
                    plan["loss_cents"] = plan["loss_cents"] * self.between(70, 91) // 100
                    plan["result"] = self._result(k, HandlingMethod.COMPENSATION,
                                                  plan["loss_cents"], c["round"])
                plan["receiver_opinion"] += RESUBMIT_NOTE
            if action is A.SAVE_SHEET:
                sheet["result"], sheet["receiver_opinion"] = plan["result"], plan["receiver_opinion"]
                if self.random() < 0.5:  # the draft is already complete
                    sheet["method"], sheet["loss_cents"] = plan["method"], plan["loss_cents"]
                detail = f'{{"sheet": "{sheet["sheet_number"]}", "version": {sheet["version"]}}}'
            else:
                sheet.update(plan)
                sheet["state"], sheet["submitted_at"], sheet["submitted_by"] = "submitted", at, actor
                detail = (f'{{"sheet": "{sheet["sheet_number"]}", "method": "{sheet["method"]}", '
                          f'"loss_cents": {sheet["loss_cents"]}}}')
            sheet["updated_by"], sheet["updated_at"] = actor, at
        elif action is A.JUDGE_OURS:
            actor = k.service
            dept = self.pick(self.departments[k.category] or self.all_departments)
            k.values["dept"] = self.dept_names.get(dept, dept)
            due = c["resolution_due"]
            if self.random() < 0.2:  # the counter agreed a later date with the customer
                due = (max(due, at.replace(tzinfo=UTC)) + timedelta(days=self.between(1, 8))
                       ).replace(minute=0, second=0, microsecond=0)
            c["responsibility"], c["department"] = "ours", dept
            c["handling_due"] = c["due_at"] = due
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            detail = (f'{{"responsibility": "ours", "department": {_q(dept)}, '
                      f'"handling_due": "{due.isoformat()}"}}')
        elif action is A.DISPATCH:
            actor = self.pick(self.cast.supervisors)
            k.handler = self.pick(self.cast.handlers.get(c["department"]) or self.all_handlers)
            c["handler"] = k.handler
            detail = f'{{"handler": {_q(k.handler)}, "department": {_q(c["department"])}}}'
        elif action is A.RECORD_INVESTIGATION:
            actor = k.handler
            detail = f'{{"round": {c["round"]}, "evidence": {self._investigation(k, at)}}}'
        elif action is A.APPROVE:
            sheet = k.sheet
            actor = self._supervisor(sheet["drafted_by"], sheet["submitted_by"])
            text = self.pick(IMPLEMENTATION_OPINIONS).format_map(k.values)
            sheet["state"], sheet["decided_by"], sheet["decided_at"] = "approved", actor, at
            sheet["implementation_opinion"] = text
            sheet["version"] += 1
            detail = f'{{"sheet": "{sheet["sheet_number"]}", "opinion": {_q(text)}}}'
        elif action is A.INFORM_CUSTOMER:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            detail = f'{{"how": "{_CODE[self.weighted(self._agreement)]}"}}'
        elif action is A.CUSTOMER_AGREES or action is A.CUSTOMER_DISAGREES:
            actor = k.service if self.random() < 0.7 else self.pick(self.cast.service)
            agreed = action is A.CUSTOMER_AGREES
            text = self.pick(AGREED_OPINIONS if agreed else DISAGREED_OPINIONS)
            sheet = k.sheet
            sheet["customer_opinion"] = text
            sheet["version"] += 1
            if agreed:
                c["revisit_due"] = c["due_at"] = self._plus_week(at).replace(tzinfo=UTC)
            else:
                c["round"] += 1
            detail = (f'{{"agreed": {"true" if agreed else "false"}, "opinion": {_q(text)}, '
                      f'"how": "{_CODE[self.weighted(self._opinion)]}", "round": {c["round"]}}}')
        elif action is A.JUDGE_NOT_OURS:
            actor = k.service
            text = self.pick(NOT_OURS).format_map(k.values)
            method = _CODE[self.weighted(self._agreement)]
            c["responsibility"], c["explanation"], c["agreement_method"] = "not_ours", text, method
            c["customer_told_at"] = at.replace(tzinfo=UTC)
            c["revisit_due"] = c["due_at"] = self._plus_week(at).replace(tzinfo=UTC)
            detail = (f'{{"responsibility": "not_ours", "agreement_method": "{method}", '
                      f'"explanation": {_q(text)}}}')
        elif action is A.RETURN:
            sheet = k.sheet
            actor = self._supervisor(sheet["drafted_by"], sheet["submitted_by"])
            text = self.pick(RETURN_REASONS)
            sheet["state"], sheet["decided_by"], sheet["decided_at"] = "returned", actor, at
            sheet["return_reason"] = text
            sheet["version"] += 1
            detail = f'{{"sheet": "{sheet["sheet_number"]}", "reason": {_q(text)}}}'
        elif action is A.ESCALATE:
            actor = self.pick(self.cast.supervisors)
            c["escalated"] = True
            detail = f'{{"reason": {_q(self.pick(ESCALATE_REASONS))}}}'
        else:  # pragma: no cover - every action of the stories is above
            raise AssertionError(action)
        if after is before:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], None, None, _CODE[after], detail))
        else:
            self.events.append((at.isoformat(" ", "microseconds"), actor, c["id"],
                                _EVENT[action], "status", _CODE[before], _CODE[after], detail))
            k.status = after

    def take(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """The batch's investigations, sheets and events as rows, handing them over."""
        out = (self.investigations, [_row_of(s, _SHEET_COLUMNS) for s in self.sheets],
               self.events)
        self.investigations, self.sheets, self.events = [], [], []
        return out


# ------------------------------------------------------------------ writing

class _Columns(NamedTuple):
    """A table's columns but the id, for rows bound as plain sequences."""

    table: str
    names: tuple[str, ...]
    get: Callable[[dict], tuple]
    times: tuple[int, ...]  # positions of the UTCDateTime columns


def _columns(table) -> _Columns:  # type: ignore[no-untyped-def]
    columns = [c for c in table.columns if c.name != "id"]
    names = tuple(c.name for c in columns)
    return _Columns(table.name, names, itemgetter(*names),
                    tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)))


_INVESTIGATION_COLUMNS = _columns(Investigation.__table__)
_SHEET_COLUMNS = _columns(HandlingSheet.__table__)
_EVENT_COLUMNS = _columns(AuditEvent.__table__)


def _utc_text(moment: datetime | None) -> str | None:
    """A time as UTCDateTime stores it in SQLite (UTC, ``2026-11-23 02:00:00.000000``).
    A naive time is taken as UTC already (the handling's own times)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(" ", "microseconds")


def _row_of(values: dict, columns: _Columns) -> tuple:
    row = list(columns.get(values))
    for i in columns.times:
        row[i] = _utc_text(row[i])
    return tuple(row)


def _insert_sql(columns: _Columns) -> str:
    return (f"INSERT INTO {columns.table} ({', '.join(columns.names)}) "
            f"VALUES ({', '.join('?' for _c in columns.names)})")


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


def _write_batch(desk: Desk, rows: list[_Row], now: datetime,
                 handling: _Handling) -> tuple[int, list[str]]:
    """One IMMEDIATE transaction: the batch's customers, complaints as far along as
    their stories have got by now, their investigations, sheets and audit events."""
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
                "responsibility": None, "explanation": None, "agreement_method": None,
                "handling_due": None, "customer_told_at": None, "round": 1, "revisit_due": None,
            })
            key = (row.priority, row.channel)
            detail = details.get(key)
            if detail is None:
                detail = details[key] = json.dumps(
                    {"priority": row.priority.value, "channel": row.channel.value,
                     "escalated": escalated, "source": "demo"}, ensure_ascii=False)
            events.append((_utc_text(created), row.receiver, next_id + offset,
                           "complaint.registered", None, None, number, detail))
            handling.play(complaints[-1], row, number)
        investigations, sheets, steps = handling.take()
        events += steps
        # Ids follow each complaint's story (not the clock across complaints): appending
        # to the audit index in order is cheaper than inserting all over it.
        conn.execute(insert(Complaint.__table__), complaints)
        # Eight rows or so per complaint: bound as plain tuples, times already in the
        # stored form, which halves the cost of Core's per-row parameter processing.
        for columns, rows_ in ((_INVESTIGATION_COLUMNS, investigations),
                               (_SHEET_COLUMNS, sheets), (_EVENT_COLUMNS, events)):
            if rows_:
                conn.exec_driver_sql(_insert_sql(columns), rows_)
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
    added, receivers, cast = _ensure_staff(desk, actor)

    rng = random.Random(seed)
    now = desk.now()
    days, counts = _spread_over_days(rng, now, months, count)
    generator = _Generator(rng, receivers)
    # Its own dice, so a seed's complaints read the same as before handling was played.
    handling = _Handling(random.Random(f"{seed}/handling"), cast, desk, now, count)
    summary = DemoSummary(0, 0, added, actor=actor)
    batch: list[_Row] = []
    # Millions of short-lived rows and no reference cycles: the cycle collector would
    # only walk them over and over (about a tenth of the time). Refcounting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in generator.rows(days, counts, now):
            batch.append(row)
            if len(batch) >= batch_size:
                _flush(desk, batch, now, summary, handling)
                batch = []
        if batch:
            _flush(desk, batch, now, summary, handling)
    finally:
        if collecting:
            gc.enable()
    return summary


def _flush(desk: Desk, batch: list[_Row], now: datetime, summary: DemoSummary,
           handling: _Handling) -> None:
    new_customers, numbers = _write_batch(desk, batch, now, handling)
    summary.complaints += len(numbers)
    summary.new_customers += new_customers
    summary.first_number = summary.first_number or numbers[0]
    summary.last_number = numbers[-1]


__all__ = ["DEFAULT_SEED", "DemoSummary", "fill_demo"]
