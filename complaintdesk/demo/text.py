"""Demo data pools: names, places, complaint texts and handling texts, and the
shares and paces that shape a demo. Data only; demo.py generates from it."""

from __future__ import annotations

from complaintdesk.domain.enums import (Action, AgreementMethod, Category, Channel, HandlingMethod, Priority,
                    RevisitMethod, Satisfaction, Status)

S, A = Status, Action


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
                      "款项已到账，客户满意。", "客户表示以后会继续选择我们的产品。")
BASIC_COMMENTS = ("", "客户基本满意，希望处理速度再快一些。", "客户表示可以接受，但希望以后不要再出现同类问题。",
                  "处理结果基本认可，建议加强售后人员培训。", "客户认为等待时间较长，其他方面满意。")
DISSATISFIED_OURS = ("客户反映问题再次出现，要求重新处理。", "承诺的款项至今未到账，客户不满意。",
                     "维修后仍有同样故障，客户要求更换新品。", "客户认为赔偿金额与实际损失差距较大，要求重新协商。",
                     "上门服务人员态度差，客户要求更换人员并重新处理。")
DISSATISFIED_NOT_OURS = ("客户不接受非我方责任的解释，认为是产品本身的质量问题，要求重新认定。",
                         "客户表示已提供新的证据，要求重新调查责任。",
                         "客户认为解释前后不一致，要求由主管重新核实。")
UNREACHED_COMMENTS = {RevisitMethod.PHONE: ("电话无人接听。", "电话关机。", "号码暂时无法接通。",
                                           "客户正忙，挂断电话。", ""),
                      RevisitMethod.WECHAT: ("微信消息未回复。", "微信语音通话无人接听。")}
CLOSE_UNREACHED_COMMENT = "回访 {n} 次均无法联系到客户，按无法联系结案。"

# The demo's seed when none is given: here, not in demo.py, so that the command
# line can show it without importing the demo's machinery (50 ms on every start).
DEFAULT_SEED = 20261123
