PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta VALUES('schema_version','1');
CREATE TABLE articles (
    key TEXT PRIMARY KEY,
    batch_date TEXT NOT NULL,
    position INTEGER NOT NULL,
    published TEXT NOT NULL,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    source_file TEXT NOT NULL,
    ingested TEXT NOT NULL
);
INSERT INTO articles VALUES('a8828eb3831e5d4f2e8ee60e4089963943c95ea90fb0cb34897c06e15e35ee3b','2025-12-14',0,'2025-12-14T00:00:00+08:00','zh-Hant','台北記憶體展開幕,國產晶片廠商齊聚一堂','今年的台北記憶體展於週一開幕,共有四十多家廠商參展。主辦單位表示,今年展出的重點是高頻寬記憶體(HBM)與新一代儲存晶片,多家廠商也同場發表了自家的驅動程式與管理軟體。一位參展工程師說:「過去一年,客戶最常問的是交期。」展期共三天,入場免費。','範例科技週報','examples/2025-12-14.txt','2026-11-29T22:07:24.080762+08:00');
INSERT INTO articles VALUES('04bc7000e436d356ce814e11c376f63f52e41f2d1d788baacffd9d3ff66fbc68','2025-12-14',1,'2025-12-14T00:00:00+08:00','zh-Hant','開源社群推出新版程式碼檢查工具','一個由志工維護的開源專案本週發布新版本,可以在提交程式碼之前自動找出常見錯誤。新版支援更多程式語言,並改善了在筆記型電腦上的執行速度。專案負責人表示,下一步會加強對影片與網路服務相關程式的檢查;他也提醒使用者:「工具只是幫手,不能取代人的判斷。」','開源觀察','examples/2025-12-14.txt','2026-11-29T22:07:24.080762+08:00');
INSERT INTO articles VALUES('3ef6ad03de8b673c577f4cd75f2213f065d8154cc86036a391f191f21928e094','2025-12-14',2,'2025-12-14T00:00:00+08:00','zh-Hant','研究團隊以新方法觀測遙遠星系','一支跨國研究團隊利用多座望遠鏡的資料,首次清楚觀測到一個遙遠星系核心的噴流結構。團隊指出,這項成果有助於理解黑洞如何影響周圍的氣體。研究人員也公開了處理資料所用的軟體,讓其他團隊可以重複驗證結果。論文已於本月發表。','範例科學日報','examples/2025-12-14.txt','2026-11-29T22:07:24.080762+08:00');
INSERT INTO articles VALUES('975b3b05b83230aa6fa5d9eba63d8b10a25105c4cce21063cf8c983cc0796371','2025-12-15',0,'2025-12-15T00:00:00+08:00','zh-Hans','城市图书馆推出夜间阅读服务','本市图书馆从下周起试行夜间开放,周五和周六延长至晚上十点。馆方表示,读者可以用手机预约座位,也可以借用馆内的笔记本电脑查阅数据库。试行期为三个月,之后将根据使用情况决定是否长期实施。','范例城市报','examples/2025-12-15-simplified.txt','2026-11-29T22:07:24.378908+08:00');
CREATE TABLE conversions (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (key, signature)
) WITHOUT ROWID;
INSERT INTO conversions VALUES('04bc7000e436d356ce814e11c376f63f52e41f2d1d788baacffd9d3ff66fbc68','tw2sp:252f3550dad1','开源社区推出新版代码检查工具','一个由志工维护的开源项目本周发布新版本,可以在提交代码之前自动找出常见错误。新版支持更多编程语言,并改善了在笔记本电脑上的运行速度。项目负责人表示,下一步会加强对视频与网络服务相关程序的检查;他也提醒用户:「工具只是帮手,不能取代人的判断。」','开源观察');
INSERT INTO conversions VALUES('3ef6ad03de8b673c577f4cd75f2213f065d8154cc86036a391f191f21928e094','tw2sp:252f3550dad1','研究团队以新方法观测遥远星系','一支跨国研究团队利用多座望远镜的数据,首次清楚观测到一个遥远星系核心的喷流结构。团队指出,这项成果有助于理解黑洞如何影响周围的气体。研究人员也公开了处理数据所用的软件,让其他团队可以重复验证结果。论文已于本月发表。','范例科学日报');
INSERT INTO conversions VALUES('975b3b05b83230aa6fa5d9eba63d8b10a25105c4cce21063cf8c983cc0796371','s2twp:4098b9954b5c','城市圖書館推出夜間閱讀服務','本市圖書館從下週起試行夜間開放,週五和週六延長至晚上十點。館方表示,讀者可以用手機預約座位,也可以借用館內的筆記型電腦查閱資料庫。試行期為三個月,之後將根據使用情況決定是否長期實施。','範例城市報');
INSERT INTO conversions VALUES('a8828eb3831e5d4f2e8ee60e4089963943c95ea90fb0cb34897c06e15e35ee3b','tw2sp:252f3550dad1','台北内存展开幕,国产芯片厂商齐聚一堂','今年的台北内存展于周一开幕,共有四十多家厂商参展。主办单位表示,今年展出的重点是高带宽内存(HBM)与新一代储存芯片,多家厂商也同场发表了自家的驱动程序与管理软件。一位参展工程师说:「过去一年,客户最常问的是交期。」展期共三天,入场免费。','范例科技周报');
CREATE TABLE outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO outputs VALUES('index.html','f43051cd2d064b753d2a038f470ee499d6d8ba63287c60944f6488efd76c8090');
INSERT INTO outputs VALUES('style.css','7eb7b3075b18c230e0bee31c51f1a7494a56938a969abe8a45ef83f36a3bbb05');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/04bc7000e436d356.html','ee10b79d4feca3f348a73d3945b518427e9cb107e8837c799db05374bd4e0be6');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/3ef6ad03de8b673c.html','d7553dfaabac02f2d5611b671be8eacb20b34ea462899a872a67bf46715238c2');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/a8828eb3831e5d4f.html','08058be5ce0c2d042bbabf2ec5cf45bb38b740c92802f0afaca48487cb0d531c');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-15/975b3b05b83230aa.html','c985a5311c3dd73224fe9b6693d376368a40e7459909cb9e0c4dc09c64c44495');
INSERT INTO outputs VALUES('zh-Hans/atom.xml','d1fb5fe07709ffe6bc2cd83cbea09f0ca23ca81bde30b0d0df0674fab5dc961d');
INSERT INTO outputs VALUES('zh-Hans/days/2025-12-14.html','9ef8df137d41f3b61d1ee6e7c316cc6ee78574b99b4f6991cd1611d44e103e5f');
INSERT INTO outputs VALUES('zh-Hans/days/2025-12-15.html','fa7a36e9978bd90d3bf2c1c2bacc34f42bf15f1c479ddbb1bc24541185e06738');
INSERT INTO outputs VALUES('zh-Hans/index.html','7549d2c6bcb62b47efde10834913067452d6edff000c2b4573a488f54355c488');
INSERT INTO outputs VALUES('zh-Hans/rss.xml','d2f9101548f77c04eadf8292c570bb7b696da8eb922631676b926d18a3693081');
INSERT INTO outputs VALUES('zh-Hans/sources/1e626c2b5118.xml','b1735fa7c630bf99e03df124bbed5b0d9c6faf805a777bf5cbf36f9cc0c5899e');
INSERT INTO outputs VALUES('zh-Hans/sources/1f46b5b0388f.xml','1b250d9f95384a5312d5a9f473e6a7a0c3597f9d31aac891cb65b62852dc4890');
INSERT INTO outputs VALUES('zh-Hans/sources/50f0d3ff930d.xml','b152b3215117917ceac43e6badde6f70119d37b856d166b9dd3eb7ef7ff41880');
INSERT INTO outputs VALUES('zh-Hans/sources/b5be749a163f.xml','4425377f4802dfe4a5f877cd856a01757828e0871d711e118f9233e5c8c8a9fd');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/04bc7000e436d356.html','bf694680cde6afa6e981b62102ee2c7698046015e6494d68a2fae33a1634efa2');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/3ef6ad03de8b673c.html','488f205926490888cda796a9ccbe905a9f5bc876a57f3341957772627b270f65');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/a8828eb3831e5d4f.html','9025cdf8764e2416b5f1aa42bccce34d4d82da788675114f9d55f308bdfaafec');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-15/975b3b05b83230aa.html','c14e6d06373795f1cbca14dfdee66c2592d27cb20340d7f1349ed3fd4055065d');
INSERT INTO outputs VALUES('zh-Hant/atom.xml','5a1f0d2c5069847a0342beee6248714c12d3b4637779c545faafa0616ae732cf');
INSERT INTO outputs VALUES('zh-Hant/days/2025-12-14.html','5721e2927eda0d1628a16b050560d4e3f2816e6e074c5a297a78ace248a84d1e');
INSERT INTO outputs VALUES('zh-Hant/days/2025-12-15.html','705a6c2b55e966d56a64a53f4a7330d1332c530707d25e0aed0415e9a5f6b05b');
INSERT INTO outputs VALUES('zh-Hant/index.html','1f06af99d61508f7118fc994aa7646f975c99a6924994802b67a67218ef83f61');
INSERT INTO outputs VALUES('zh-Hant/rss.xml','431471dbb9ad9cbe2caac66fb5dfb214e8ebfee85afaa6567eba4250cb53a7b1');
INSERT INTO outputs VALUES('zh-Hant/sources/1e626c2b5118.xml','885a95c6df295248a9c2d3470da667071779b5e26c9b4d4b1469c1d358d05c4f');
INSERT INTO outputs VALUES('zh-Hant/sources/1f46b5b0388f.xml','312ad9b8a9f2ef041d2d5a0026023dca814e7f22ebc72cf4558ffc7141f561cc');
INSERT INTO outputs VALUES('zh-Hant/sources/50f0d3ff930d.xml','a606a12f0d86647ecb5e392964315ad58773e126a3923bd2a8d67c4c48801cb5');
INSERT INTO outputs VALUES('zh-Hant/sources/b5be749a163f.xml','bffe912d497018253b93be5af708f02bddfa1e632632147fdb85491a06e23989');
CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds REAL NOT NULL
);
INSERT INTO builds VALUES(1,'2026-11-29T22:07:27.491226+08:00',28,0,0.85437567899998612119);
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    confirmed TEXT,
    unsubscribed TEXT
);
INSERT INTO subscribers VALUES(1,'ann@example.org','ann@example.org','zh-Hant','active','','2026-11-29T22:07:31.124459+08:00','2026-11-29T22:07:31.124459+08:00',NULL);
INSERT INTO subscribers VALUES(2,'bo@example.org','bo@example.org','zh-Hans','active','Bo 柏','2026-11-29T22:07:33.403467+08:00','2026-11-29T22:07:33.403467+08:00',NULL);
INSERT INTO subscribers VALUES(3,'cy@example.org','cy@example.org','zh-Hans','active','','2026-11-29T22:07:36.541108+08:00','2026-11-29T22:07:36.541108+08:00',NULL);
INSERT INTO subscribers VALUES(4,'dee@example.org','dee@example.org','zh-Hant','unsubscribed','','2026-11-29T22:07:39.325938+08:00','2026-11-29T22:07:39.325938+08:00','2026-11-29T22:07:48.200005+08:00');
INSERT INTO subscribers VALUES(5,'eve@example.org','eve@example.org','zh-Hant','pending','','2025-12-14T09:00:00+08:00',NULL,NULL);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    digest_date TEXT NOT NULL,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (digest_date, subscriber_id)
);
INSERT INTO deliveries VALUES(1,'2025-12-14','zh-Hant',1,'sent',1,'','<digest.2025-12-14.zh-Hant.1@127.0.0.1>','2026-11-29T22:07:43.355205+08:00');
INSERT INTO deliveries VALUES(2,'2025-12-14','zh-Hans',2,'uncertain',1,'interrupted after the mail was handed over','<x@y>','2026-11-29T22:07:43.393773+08:00');
INSERT INTO deliveries VALUES(3,'2025-12-14','zh-Hans',3,'failed',1,'550 no such user','<digest.2025-12-14.zh-Hans.3@127.0.0.1>','2026-11-29T22:07:43.437720+08:00');
INSERT INTO deliveries VALUES(4,'2025-12-14','zh-Hant',4,'sent',1,'','<digest.2025-12-14.zh-Hant.4@127.0.0.1>','2026-11-29T22:07:43.475004+08:00');
INSERT INTO deliveries VALUES(5,'2025-12-15','zh-Hant',1,'queued',0,'','','2025-12-15T07:00:00+08:00');
CREATE TABLE runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
);
INSERT INTO runs VALUES('2025-12-14','2025-12-14T07:00:00+08:00','2025-12-14T07:00:09+08:00','run 2025-12-14: done');
INSERT INTO runs VALUES('2025-12-15','2025-12-15T07:00:00+08:00',NULL,'');
CREATE INDEX articles_by_date ON articles (batch_date DESC, position);
COMMIT;
