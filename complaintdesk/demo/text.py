"""Demo data pools: staff, names and places, the words common to every story, and
the shares and paces that shape a demo. What is complained about, and the story
that belongs to each matter, is in demo/matters.py. Data only."""

from __future__ import annotations

from complaintdesk.domain.enums import (Action, AgreementMethod, Category, Channel, HandlingMethod, Priority,
                    RevisitMethod, Satisfaction, Status)

S, A = Status, Action


# ------------------------------------------------------------------ staff

COUNTERS = (("lixiaomei", "李晓梅"), ("wangqiang", "王强"), ("zhaomin", "赵敏"), ("chenjing", "陈静"))
HANDLERS = (("sunwei", "孙伟"), ("zhouyan", "周燕"), ("wuhao", "吴昊"), ("zhengli", "郑丽"),
            ("fengtao", "冯涛"), ("hejing", "何静"), ("luobin", "罗斌"), ("tangxue", "唐雪"))
SUPERVISORS = (("liuyang", "刘洋"), ("huangmin", "黄敏"))
#: Each department's manager (部门经理): gives the 处理单's 部门经理意见.
MANAGERS = (("jianglei", "蒋磊"), ("caihong", "蔡红"), ("panjun", "潘军"), ("yuanli", "袁丽"),
            ("dengchao", "邓超"), ("xiejun", "谢军"), ("songjia", "宋佳"), ("hanmei", "韩梅"))

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

URGENT_NOTES_COMPANY = ("已影响公司正常经营，损失还在扩大，请尽快处理。", "客户要求今天内给出处理意见。")
URGENT_NOTES_PERSON = ("客户要求今天内答复。", "已影响正常生活，客户要求马上处理。")
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

DEPARTMENTS_FOR = {  # who usually answers for what (department codes of the default config)
    Category.PRODUCT: ("quality", "production", "rnd"),
    Category.SERVICE: ("service",),
    Category.PRICE: ("marketing",),
    Category.OTHER: ("service", "marketing"),
}

FINDINGS = ("属我方责任，{dept}在该环节存在疏漏，客户诉求合理。",
            "我方负主要责任，由{dept}先行处理，涉及合作方的部分再向其追偿。",
            "经核实客户所述属实，责任在我方，相关人员已按公司制度处理。")
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
SECOND_ROUND_LEAD = "客户对第一次处理结果不满意，经再次协商："
RECEIVER_OPINIONS = ("客户诉求合理，同意按此方案处理，请尽快回复客户。",
                     "已与客户电话沟通方案，客户初步表示可以接受。",
                     "建议同时向客户书面致歉，并在回访时确认落实情况。",
                     "客户是老客户，建议适当从优处理。")
MANAGER_OPINIONS = ("同意。由{dept}负责落实，三个工作日内完成。", "同意处理方案，对相关责任人通报批评。",
                    "同意，请{dept}跟踪同类问题。", "同意，注意保留处理凭证。")
RESUBMIT_NOTE = "\n已按主管退回意见修改后重新提交。"
ESCALATE_REASONS = ("客户情绪激动、多次来电，上报管理层关注。", "涉及多个部门，需管理层协调处理。",
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
                 S.ACCEPTED: 1.2, S.REGISTERED: 0.5, S.REVISIT: 30.0, S.CLOSED: 3650.0}

# ------------------------------------------------------------------ the revisit (process.md §7)

#: The first call falls within the revisit window, at this fraction of it (low, high);
#: a few are made late, after the due date (and show as overdue while they wait).
REVISIT_CALL = (0.03, 0.93)
LATE_REVISIT_SHARE = 0.12
LATE_REVISIT_CALL = (1.03, 2.2)
UNREACHED_SHARE = 0.12      # a call that does not reach the customer: tried again
UNREACHABLE_SHARE = 0.02    # never reached: closed as unreachable after the last attempt
DISSATISFIED_SHARE = 0.06   # reached, and 不满意 with the attitude or the result: reopened
REJUDGED_OURS_SHARE = 0.5   # a reopened "not ours" judged the company's after all
MAX_REOPENS = 2
#: Reached and content: how the two ratings (attitude, result) come out.
HAPPY_RATINGS = {(Satisfaction.SATISFIED, Satisfaction.SATISFIED): 70,
                 (Satisfaction.SATISFIED, Satisfaction.BASIC): 9,
                 (Satisfaction.BASIC, Satisfaction.SATISFIED): 5,
                 (Satisfaction.BASIC, Satisfaction.BASIC): 10}
UNHAPPY_RATINGS = {(Satisfaction.DISSATISFIED, Satisfaction.DISSATISFIED): 40,
                   (Satisfaction.SATISFIED, Satisfaction.DISSATISFIED): 25,
                   (Satisfaction.BASIC, Satisfaction.DISSATISFIED): 20,
                   (Satisfaction.DISSATISFIED, Satisfaction.BASIC): 15}
REACHED_METHODS = {RevisitMethod.PHONE: 70, RevisitMethod.WECHAT: 18, RevisitMethod.ONSITE: 8,
                   RevisitMethod.OTHER: 4}
UNREACHED_METHODS = {RevisitMethod.PHONE: 80, RevisitMethod.WECHAT: 20}
SATISFIED_COMMENTS = ("", "", "", "客户对处理结果满意，感谢回访。", "问题已解决，客户表示服务态度很好。",
                      "客户表示以后会继续选择我们的产品。")
BASIC_COMMENTS = ("", "客户基本满意，希望处理速度再快一些。", "客户表示可以接受，但希望以后不要再出现同类问题。",
                  "处理结果基本认可，建议加强售后人员培训。", "客户认为等待时间较长，其他方面满意。")
DISSATISFIED_NOT_OURS = ("客户不接受非我方责任的解释，要求重新认定。",
                         "客户表示已提供新的证据，要求重新调查责任。",
                         "客户认为解释前后不一致，要求由主管重新核实。")
UNREACHED_COMMENTS = {RevisitMethod.PHONE: ("电话无人接听。", "电话关机。", "号码暂时无法接通。",
                                           "客户正忙，挂断电话。", ""),
                      RevisitMethod.WECHAT: ("微信消息未回复。", "微信语音通话无人接听。")}
CLOSE_UNREACHED_COMMENT = "回访 {n} 次均无法联系到客户，按无法联系结案。"

# The demo's seed when none is given: here, not in demo.py, so that the command
# line can show it without importing the demo's machinery (50 ms on every start).
DEFAULT_SEED = 20261123
