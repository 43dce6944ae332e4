-- A store at schema version 15 on SQLite (the sqlite3 shell's .dump), frozen for the upgrade
-- tests: made by this tree's publisher from examples/ and tests/fixtures/news.txt (ingest,
-- build, subscribers in each state, a digest sent, a bounce, an erasure, Telegram posts and
-- WebSub pings left waiting, a daily run, a pending sign-up, a form post). Never regenerate it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta VALUES('schema_version','15');
INSERT INTO meta VALUES('generation','3');
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
, generation INTEGER NOT NULL DEFAULT 0);
INSERT INTO articles VALUES('a8828eb3831e5d4f2e8ee60e4089963943c95ea90fb0cb34897c06e15e35ee3b','2025-12-14',0,'2025-12-14T02:59:29+08:00','zh-Hant','台北記憶體展開幕,國產晶片廠商齊聚一堂','今年的台北記憶體展於週一開幕,共有四十多家廠商參展。主辦單位表示,今年展出的重點是高頻寬記憶體(HBM)與新一代儲存晶片,多家廠商也同場發表了自家的驅動程式與管理軟體。一位參展工程師說:「過去一年,客戶最常問的是交期。」展期共三天,入場免費。','範例科技週報','/work/wt/i24-cli/examples/2025-12-14.txt','2026-12-08T02:59:29.168236+08:00',1);
INSERT INTO articles VALUES('04bc7000e436d356ce814e11c376f63f52e41f2d1d788baacffd9d3ff66fbc68','2025-12-14',1,'2025-12-14T02:59:28+08:00','zh-Hant','開源社群推出新版程式碼檢查工具','一個由志工維護的開源專案本週發布新版本,可以在提交程式碼之前自動找出常見錯誤。新版支援更多程式語言,並改善了在筆記型電腦上的執行速度。專案負責人表示,下一步會加強對影片與網路服務相關程式的檢查;他也提醒使用者:「工具只是幫手,不能取代人的判斷。」','開源觀察','/work/wt/i24-cli/examples/2025-12-14.txt','2026-12-08T02:59:29.168236+08:00',1);
INSERT INTO articles VALUES('3ef6ad03de8b673c577f4cd75f2213f065d8154cc86036a391f191f21928e094','2025-12-14',2,'2025-12-14T02:59:27+08:00','zh-Hant','研究團隊以新方法觀測遙遠星系','一支跨國研究團隊利用多座望遠鏡的資料,首次清楚觀測到一個遙遠星系核心的噴流結構。團隊指出,這項成果有助於理解黑洞如何影響周圍的氣體。研究人員也公開了處理資料所用的軟體,讓其他團隊可以重複驗證結果。論文已於本月發表。','範例科學日報','/work/wt/i24-cli/examples/2025-12-14.txt','2026-12-08T02:59:29.168236+08:00',1);
INSERT INTO articles VALUES('975b3b05b83230aa6fa5d9eba63d8b10a25105c4cce21063cf8c983cc0796371','2025-12-15',0,'2025-12-15T02:59:29+08:00','zh-Hans','城市图书馆推出夜间阅读服务','本市图书馆从下周起试行夜间开放,周五和周六延长至晚上十点。馆方表示,读者可以用手机预约座位,也可以借用馆内的笔记本电脑查阅数据库。试行期为三个月,之后将根据使用情况决定是否长期实施。','范例城市报','/work/wt/i24-cli/examples/2025-12-15-simplified.txt','2026-12-08T02:59:29.168236+08:00',2);
INSERT INTO articles VALUES('7ccd75ecf5646528c127c500f10b5748cb164c0159da610c56597357a85e3ff9','2025-12-16',0,'2025-12-16T02:59:48+08:00','zh-Hant','輝達公布新一代資料中心晶片,記憶體頻寬再提升','輝達週二在加州發表新一代資料中心晶片,採用更大容量的高頻寬記憶體(HBM),官方表示訓練大型模型的速度可比上一代快一倍。多家雲端業者已表態採購,但分析師提醒,供應鏈的封裝產能仍是瓶頸,出貨時程可能延到明年下半年。公司也同步更新了驅動程式與開發工具,讓既有的程式碼不必大幅修改就能移植。','範例晶片觀察','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('82378028c8e65d8608bf42048dee0169e417ef6ceb271c900ac2965c48b881e1','2025-12-16',1,'2025-12-16T02:59:47+08:00','zh-Hant','國內記憶體廠擴建新廠,預計三年後量產','一家國內記憶體大廠宣布在中部科學園區擴建新廠,總投資金額超過新台幣三千億元。公司表示,新廠將以先進製程生產伺服器用記憶體,並預留空間給未來的堆疊封裝。地方政府說明,環境評估已在進行中,用水與用電的規劃也會一併公開。工會則希望公司說明新廠的人力需求與培訓計畫。','範例產業日報','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('3d15045ba126eec5b5d004da861f26912c1f0ca1312cb866f47b535ce3d338cd','2025-12-16',2,'2025-12-16T02:59:46+08:00','zh-Hant','視訊會議軟體推出即時翻譯功能','一款常見的視訊會議軟體本週加入即時翻譯字幕,目前支援中文、英文與日文三種語言。使用者可以在會議中選擇自己要看的字幕語言,系統會在數秒內顯示翻譯結果。開發團隊坦言,專有名詞與人名的翻譯仍不夠準確,因此提供了自訂詞彙表,讓企業加入產品名稱與內部用語。','範例軟體週報','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('2ad0d89a56313af4231bf7d5b10890e8266c044b859fd40521e810dcf7bccdf6','2025-12-16',3,'2025-12-16T02:59:45+08:00','zh-Hant','大學開設程式設計營,高中生報名踴躍','一所國立大學今年暑假開設為期兩週的程式設計營,名額一百人,開放報名三天就額滿。課程從基礎的變數與迴圈教起,最後一週由學員分組完成一個小型應用程式。主辦的教授表示,希望學生在寫程式碼之外,也學會如何閱讀別人的程式與寫出清楚的說明文件(包括註解與使用手冊)。','範例教育新聞','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('ef23bb78c91a388f93fce3de3edb1f2a61f51a8e7de9cf7e1e25b46a1874272e','2025-12-16',4,'2025-12-16T02:59:44+08:00','zh-Hant','電動車充電站數量一年成長五成','交通部公布的統計顯示,全國公共充電站的數量比去年同期增加約五成,其中快充站的比例也明顯上升。業者指出,偏鄉與山區的充電站仍然不足,長途旅行的車主常需要事先規劃路線。政府表示,明年將以補助方式鼓勵加油站與便利商店加裝充電設備,並統一各家業者的付款方式。','範例交通快訊','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('9175c7d6ba17b4c24a2ef80160a062d73680e82cf7550bf8cd83760323ff38b5','2025-12-16',5,'2025-12-16T02:59:43+08:00','zh-Hant','手機遊戲公司發表新作,主打跨平台連線','一家手機遊戲公司在遊戲展上發表新作,玩家可以在手機、電腦與遊戲主機之間共用同一個帳號與進度。公司表示,新作的伺服器架設在多個地區,以降低連線延遲。現場試玩的玩家對畫面評價不錯,但也有人擔心內購設計會影響遊戲平衡,公司回應將在正式上線前公開機率與價格。','範例遊戲頻道','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('3841c36b81708773bd1b40cf458a34c6999cf035bff349589464088323de5c23','2025-12-16',6,'2025-12-16T02:59:42+08:00','zh-Hant','資安研究人員提醒路由器更新韌體','資安研究人員發現,多款家用路由器的管理介面存在漏洞,攻擊者可能在使用者不知情的情況下更改設定。研究團隊已通知廠商,部分廠商也已釋出更新韌體。專家建議民眾登入路由器的管理頁面確認版本,並更換預設密碼;若設備已停止支援,最好考慮汰換,以免成為攻擊的跳板。','範例資安報導','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
INSERT INTO articles VALUES('d3741680faca33aa7c7d58d4796228ebfe4ef28dc2da3c75dc69c516ce34841c','2025-12-16',7,'2025-12-16T02:59:41+08:00','zh-Hant','氣象局啟用新超級電腦,預報時間縮短','氣象局宣布新的超級電腦正式上線,運算能力約為舊系統的四倍。新系統讓數值預報的解析度提高,颱風路徑與豪雨範圍的預測可以更快送到防災單位手中。氣象局表示,舊系統將保留作為備援,未來也會把部分模式資料開放給學術單位,讓研究人員用來改進預報方法。','範例科學日報','/tmp/freeze/inbox/2025-12-16.txt','2026-12-08T02:59:48.638581+08:00',3);
CREATE TABLE outputs (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO outputs VALUES('index.html','0b4b35423af75d4b952ac0a768da271dee74fe06466f56aa8b1c1e7612ea292c');
INSERT INTO outputs VALUES('robots.txt','33d2d7fbf88a8c0e61343d1961c027f158b40aec933f95f1b61f56a7c4e0cba0');
INSERT INTO outputs VALUES('search.js','144cbb17383a4575954f36648e768be45c4ef1b626ada979412aa0fc9aee6c4d');
INSERT INTO outputs VALUES('search/meta.json','f4f2907d963e5fb4a890634296b1b2a24b906ba14a683741dd71a39e93cf1b2e');
INSERT INTO outputs VALUES('search/terms/8/0.json','10eec497538744b03955b43720e4927aee4962beab3ff7ed0602a2be49677577');
INSERT INTO outputs VALUES('search/terms/8/1.json','f7fcf043ea6baa34fc6eea529040eb8cedfc7a4347964d0ebc6006906f0dcb52');
INSERT INTO outputs VALUES('search/terms/8/2.json','3b812de6e27f28bb867cb90debda301df76cc477c9e358c793dac357f4a0999c');
INSERT INTO outputs VALUES('search/terms/8/3.json','60a1186836513c97750a5f5998536f4157d3377d01120fb20b246d8cfe42926d');
INSERT INTO outputs VALUES('search/terms/8/4.json','f0add95edb4c83573f4fce2f2e59d7e652b56f7110d9f762bbba9e09aeea91a5');
INSERT INTO outputs VALUES('search/terms/8/5.json','64a3a22ffa09ef5edae8358d23f40da6bfad062f7fc57b61502441b35cd10d85');
INSERT INTO outputs VALUES('search/terms/8/6.json','4b2bd6764a4b0dfd6b14a0e63b8571f1d1293720d93ec6538126321507a56823');
INSERT INTO outputs VALUES('search/terms/8/7.json','07365c3c0e4fb3cfeb579910e60eaa6ba9a163fa2c0414356ff35519316bd06c');
INSERT INTO outputs VALUES('search/zh-Hans/docs/0.json','91620a7e5e70968f71a26058a61deb93d8b578984277d2713c8bf27fe43fb60e');
INSERT INTO outputs VALUES('search/zh-Hant/docs/0.json','6d1fc7d814ced82ed62ebadbeab116f7c0f27a7c040234661ab563bd7c7b8afe');
INSERT INTO outputs VALUES('sitemap.xml','329522859074e788cd50bd971756ec21175848e79d33d1323f790e97ea91170e');
INSERT INTO outputs VALUES('sitemaps/2025-12.xml','558b3e3c9202b36d953c78ffae0e27aff6a027eec5f04b884f802975abfb683a');
INSERT INTO outputs VALUES('sitemaps/pages.xml','e6cc8c883c0eee07d7fbf279f03b8c0884f9bcdf7bc43628448b2073c757ba25');
INSERT INTO outputs VALUES('style.css','46f3409329c0afb067d52e6c9fe335d928567069b526386bb5922c00c907235d');
INSERT INTO outputs VALUES('zh-Hans/archive/2025-12.xml','7bbad5376178a1c074d1521c5d5288fd174f045c00bbd052209a9b0f17772b68');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/08a054676cfa/2025-12.xml','38dd0bd2446d18119b17df37205585a3eaea8eac957aac67e74ed65bcc9f75c1');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/1e626c2b5118/2025-12.xml','c3eb1e471b75b87081f543959c6caf77f13f498d9a7cb3fe1e884332ea1bb202');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/1f46b5b0388f/2025-12.xml','5dc725e9ddfb12c971b4b08ebeb9c117b0e44a563eaa0ce84d83eb63aa21c6e4');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/2b0742b027ff/2025-12.xml','2c802e4a10bd35422aee09ec4902367404a793c7ae760ecfb9fa0b1fa37b7cf9');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/316d4df5667d/2025-12.xml','a859c805ce7a6896af2767f24c7d12e09645b43e511ff8130faf741b1f66eb1f');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/50f0d3ff930d/2025-12.xml','52a5d871e3e392ad920b6a51acc79e61ccf6d1ca5228cbc15814bd0b32bffb48');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/9d1dec886100/2025-12.xml','05038fac42ba01e6c23e557399a22fc40b6d0d5c74547870588749854fd48159');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/a9f12ea41340/2025-12.xml','3588becaa7eca6c56a07d44510f685119b070d55811ac924606df22f5e1df1d7');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/b5be749a163f/2025-12.xml','1ba63f93380c4c29e5ce06a59f8f6f8be6aba70f4c4538bb42570e1bfa0ca89e');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/c033969e30fd/2025-12.xml','8b2afff51c4ee5f48d95a47590c46280be5e159b329a71f0c07ff20fe6a2d1f8');
INSERT INTO outputs VALUES('zh-Hans/archive/sources/ca921446d8a3/2025-12.xml','945a7cdc11e9e287cd63fef893d1309066db0bd5fbb1c5ed94de16af7e50d9c9');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/04bc7000e436d356.html','ad91448dfd55c3e75a11ade40de2d742e029647d23e13de3e4e6e629094cc8da');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/3ef6ad03de8b673c.html','e27a8c43857386492cab94bb154703f97760fcf3b772d0882ccf2871ea866b53');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-14/a8828eb3831e5d4f.html','712d0ba2c1cbeee7cde7ab3698401791762153ae5cdd8cdf9288bbb5aab3794f');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-15/975b3b05b83230aa.html','f6a1a5816fe293d792eed09d3ed8c2fa267b952319144e41e4c423adee084060');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/2ad0d89a56313af4.html','f46875138a579e316e733b1609799c6975de56f82b7ea72abd08605001d64297');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/3841c36b81708773.html','27bb44601a73d7364e4c3319ec36bf2831322822a079c7d2ec69f16d483c56d6');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/3d15045ba126eec5.html','fe2dc4154e06604b136482b1b218b2ae81f1b66a7ca143ce223b2a180da531ba');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/7ccd75ecf5646528.html','8d6f93982d270e26f83df8ca140eb457cd0a590a804318e13a988698dd4abfd7');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/82378028c8e65d86.html','412cee8d79e105196f6266f41ab790ca3e61a02b120ed81a3f103e2635268754');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/9175c7d6ba17b4c2.html','e357344a7167b46453193f006177fe6451051fb2b2698d7ab7fb978a83bc8b2a');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/d3741680faca33aa.html','e1e8cdb76748e582b302721df71235774468457eeb6a91ceeccc9716db1725b8');
INSERT INTO outputs VALUES('zh-Hans/articles/2025-12-16/ef23bb78c91a388f.html','998533bb8dfe8e8be03daa84c5e306f0a7c0fd4c9c1c545dda6341991d1c25b6');
INSERT INTO outputs VALUES('zh-Hans/atom.xml','9146409090f44fcc4c15f1a3440ba1652a7ed431c2b15906b694f532becc7360');
INSERT INTO outputs VALUES('zh-Hans/days/2025-12-14.html','5dbde8d26e71d12d3bf5a33d82040a674406e27fed2180dc764d88e51474cd52');
INSERT INTO outputs VALUES('zh-Hans/days/2025-12-15.html','d4ec0825b989a7397bbd07a11a8a07dec0d2aef50a22eef8fefcafdb8c683a6a');
INSERT INTO outputs VALUES('zh-Hans/days/2025-12-16.html','3857a662522b1bfdd3ea88e7f98b6f657f40b732c7b50c7efceb5176990a5030');
INSERT INTO outputs VALUES('zh-Hans/digests/index.html','29a73b6a31c06bf929a5ccf05b4ca325b2bda7936f728da3645fde42070394d7');
INSERT INTO outputs VALUES('zh-Hans/feed.json','580d4f5e3c0942f5ac5f2547705e7504c375e15666eb6216652c30517fc811ce');
INSERT INTO outputs VALUES('zh-Hans/feeds-json.opml','03e14db31db53c11c9c7a6732890bbb7c7e2c595ad76214e25e2caf1c4f0e91f');
INSERT INTO outputs VALUES('zh-Hans/feeds.opml','23227f89aac1c9ec3f0e1279760a43fd3ba016f9da728cb630f3acf20e2aa12e');
INSERT INTO outputs VALUES('zh-Hans/index.html','faf2ef1026eb1ecebbca91b65adc2e0448cd628427ebd03d8dd7720bd48a0f37');
INSERT INTO outputs VALUES('zh-Hans/rss.xml','f134e9a6629f8ce01568ce092544da07db61d160b1403160e387868460094ea1');
INSERT INTO outputs VALUES('zh-Hans/search.html','2715d7547154e1a217d20fc7b35da2dcbc1f6051fbff17e060e1a56a59a89f3d');
INSERT INTO outputs VALUES('zh-Hans/sources/08a054676cfa.html','ad268edf4b00bb0c4d81242902aa5aa9624ec48a9c754f8c0746161aa37d24c2');
INSERT INTO outputs VALUES('zh-Hans/sources/08a054676cfa.json','8badd22172a46082db459a3b0e3a08b181715b47c7b5e044f38afd3f9208db67');
INSERT INTO outputs VALUES('zh-Hans/sources/08a054676cfa.xml','6cf521a6b68d08a945c9297cdca3dd958e6804c19a957142fef712eb6d07613c');
INSERT INTO outputs VALUES('zh-Hans/sources/1e626c2b5118.html','d81c8ed6c66a1536e56ca9bf13ac3bfcc750a749b79cbfa809b6671ecda5c270');
INSERT INTO outputs VALUES('zh-Hans/sources/1e626c2b5118.json','78529779b0d4f85bd8d8d469dcf457e2b3288ba1c3b6d5126b3a062bcc97d289');
INSERT INTO outputs VALUES('zh-Hans/sources/1e626c2b5118.xml','9c2dddb5e4635614888a411f7d1af7c18a568301419575d02dc8dc8c3b07ae47');
INSERT INTO outputs VALUES('zh-Hans/sources/1f46b5b0388f.html','8cf633cfe33794193c46b093909fe8305667f4ebb1e6fb2141b251d879ef8a6d');
INSERT INTO outputs VALUES('zh-Hans/sources/1f46b5b0388f.json','d007365666558034d1a73c9621d77c8d9e7bd931c6a723f2fb14d6a98cf0ff2f');
INSERT INTO outputs VALUES('zh-Hans/sources/1f46b5b0388f.xml','84977054dfe89a8d9ad0e671580b614839c58d1cb9ad253f241b96efcc4f3a47');
INSERT INTO outputs VALUES('zh-Hans/sources/2b0742b027ff.html','cb08c08c7d5ec7f67ffe7f1322d3a1c6564dd9af765f6db740598eafdb11195a');
INSERT INTO outputs VALUES('zh-Hans/sources/2b0742b027ff.json','142248548c81b60cae546c463a1fb91edeadf9ae413c85930eaaee18b5233040');
INSERT INTO outputs VALUES('zh-Hans/sources/2b0742b027ff.xml','3b30f2e6185a7f2495178cc7087024547a4e95c7d1ac56342249bed06e751283');
INSERT INTO outputs VALUES('zh-Hans/sources/316d4df5667d.html','b5315164dbe1b2570fdf280e2af248302a7f1992b0a85bcaefa7cde942d97763');
INSERT INTO outputs VALUES('zh-Hans/sources/316d4df5667d.json','63f643e025b12ae70ffea3e5abe14a9310972267f3277f194c009aa622dacb79');
INSERT INTO outputs VALUES('zh-Hans/sources/316d4df5667d.xml','6957e2dff93f592ea51df92419b984c0c28d50955846b750c19b5e21e554c92b');
INSERT INTO outputs VALUES('zh-Hans/sources/50f0d3ff930d.html','6a3973a97d40f12ca0ddd3f565c46c63287695dd8e8e95127b99f3c176c06a41');
INSERT INTO outputs VALUES('zh-Hans/sources/50f0d3ff930d.json','fcf193282726b441c2a82fe01ba950b30d68243c1a5c5bc4b6aea15242ff8174');
INSERT INTO outputs VALUES('zh-Hans/sources/50f0d3ff930d.xml','33009e86ec0ccea58c97f103bedf910aa7ec46df6de5dd5aaa99a84fd9ff11bc');
INSERT INTO outputs VALUES('zh-Hans/sources/9d1dec886100.html','26b53b33a635465d846aab617d3d08b29407835d7a4f4831d97aa04b2624df10');
INSERT INTO outputs VALUES('zh-Hans/sources/9d1dec886100.json','d3d3490a948d7ec4e33e77dc3ca0564942ec8c29436ecea23758f0bff6dcaf03');
INSERT INTO outputs VALUES('zh-Hans/sources/9d1dec886100.xml','1d4e6f9b45718a18be7cf83c79ec8db1d65aab7168241525dbd8983b10f4f2b5');
INSERT INTO outputs VALUES('zh-Hans/sources/a9f12ea41340.html','29fe280ea94eca2636d5f2448a781652fc56bdb8cc037e61edcb98fd30ad3ae0');
INSERT INTO outputs VALUES('zh-Hans/sources/a9f12ea41340.json','03194201b2c8037e27ce6b7ba56727acae9dfbdbcc96f4de6f4055efb1dd921c');
INSERT INTO outputs VALUES('zh-Hans/sources/a9f12ea41340.xml','b34b4c3f156f832c08342f9a013ae28c3dc1bc873f7666c3892bdf99b4d54a39');
INSERT INTO outputs VALUES('zh-Hans/sources/b5be749a163f.html','cc3f3d4d2f704d9fdde391adeb14f2ae0309799ade62621972f332463c3bfd9b');
INSERT INTO outputs VALUES('zh-Hans/sources/b5be749a163f.json','34f93843705c4593f32826612c56dcfebc9758294af7d96b131bb5069e8b6999');
INSERT INTO outputs VALUES('zh-Hans/sources/b5be749a163f.xml','eec143b58b89e46380db085bbb84be6ed13a69ae2aa355c95141c1a4ee22e518');
INSERT INTO outputs VALUES('zh-Hans/sources/c033969e30fd.html','fbf514747c96a4feb32460160c43db221182b7627b1036a0fdca897c3f2dc050');
INSERT INTO outputs VALUES('zh-Hans/sources/c033969e30fd.json','5c2af596b254d50cbc22b56c711d0b75f80c61e4285df188d45fb140899069e7');
INSERT INTO outputs VALUES('zh-Hans/sources/c033969e30fd.xml','73f2af8203f25e66a9e25f0fb28e5f7abd2afa57e5b790818ae92bc109196c64');
INSERT INTO outputs VALUES('zh-Hans/sources/ca921446d8a3.html','9207c0e4a39b38996828d8cb89f53a2b40e67daa470a1bd0b0271bfc80af0a39');
INSERT INTO outputs VALUES('zh-Hans/sources/ca921446d8a3.json','e455bc81575292a2b00d7867017dd58f95eb3248843a03ed8d242a77b7d181d6');
INSERT INTO outputs VALUES('zh-Hans/sources/ca921446d8a3.xml','6f704a5b889e852200d98539e740f56e4afed3d52fd92aaeb41c96b2c364786c');
INSERT INTO outputs VALUES('zh-Hant/archive/2025-12.xml','29da02a62a2395049da065014464bb1a702d28a72ccc211b4e1d0554eac4f568');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/08a054676cfa/2025-12.xml','18e9e0028fd800c9c555787a613331df6cd4356696ed68cf85a3e81d991bb3de');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/1e626c2b5118/2025-12.xml','0229726a22af998c83d9e8d9930f072da2a8b7d0e1d39b9ebf9acea739e97d74');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/1f46b5b0388f/2025-12.xml','02b21d260b12277d3b6a51f6604ce820c60fe75a2e1a450cbbbc291f63b7e344');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/2b0742b027ff/2025-12.xml','efe95559605f29002c05760442d2bd2162f64b81962823b567fe52b97d37bd56');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/316d4df5667d/2025-12.xml','7b55741d7b2a65d2f3c7f5efe32651089cc322388825fba4be37e3bd77dc32ef');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/50f0d3ff930d/2025-12.xml','d7b4415e6068dd81020193401f7b03a56d9974139d7a757cbf2213e62a89cc55');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/9d1dec886100/2025-12.xml','f27a153a298db97aecb32ae95ede0f481b1dffd1a8ea8e419a6dc04c98814936');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/a9f12ea41340/2025-12.xml','eef0e20cc3c8977c70c3ebf7771c8613be064b95d5fd6a9c6d6098ff5995b57e');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/b5be749a163f/2025-12.xml','490d3ce4a89acd8812758b26ea2e967c3ee58fe6119659cee1447205506e8fe7');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/c033969e30fd/2025-12.xml','2701f1bbf4367c01648e8fa4d52b1295919facc3688135a8879af2904ad558c8');
INSERT INTO outputs VALUES('zh-Hant/archive/sources/ca921446d8a3/2025-12.xml','61ea15ac928bb613463bbbd84d1b306841bae39fd0817514e8fa2f47de328713');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/04bc7000e436d356.html','5116cb16384202ea4a22c0acbee9e283a51d6e5641457157f90cb5418302498b');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/3ef6ad03de8b673c.html','b4b39f4f7e190b0f382387f8289cc71f24d95cf229ebbdc84a33f349858c7795');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-14/a8828eb3831e5d4f.html','1cbe887c9dea3a2793d8e3ca8a2d42d0dfb36391216dc6303faab7a8060684e2');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-15/975b3b05b83230aa.html','0cd5a67384f9fc40d28987e1bfb382c5c9a5515ebcd2b927420b0e19edde5d04');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/2ad0d89a56313af4.html','834c14479ecaca1212c489bc0ba591f0663d40b31765774401e174db4073cc99');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/3841c36b81708773.html','46063f076edf432dcfd0d0bb7901b999109b2105905ecb3967cb76414ad72bbf');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/3d15045ba126eec5.html','cd338ec633d848e917179973ad454012c678b11edbb2d3c6325820e457c81842');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/7ccd75ecf5646528.html','1be01d0213e0a0801bebbba096c5ac2f08e1727211229ad8825db0a23c3ed591');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/82378028c8e65d86.html','b92d0d60ca1799ee987432f0fc16e4eb60bcd7733b90a4da2a52d5a802ad51d9');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/9175c7d6ba17b4c2.html','d26a535281a7c71f15f65fbcd3e31169ac1bea942bb5bbaddded8f3b1cb11583');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/d3741680faca33aa.html','9f14886e403c3f91418486e731447f9c68544f4355231f715f4faf2363a72288');
INSERT INTO outputs VALUES('zh-Hant/articles/2025-12-16/ef23bb78c91a388f.html','3a48dd6351f109ef2ee1a002a0f66d8c327b4ff0f79b4d71460ce36e2d47536a');
INSERT INTO outputs VALUES('zh-Hant/atom.xml','43e1602a63c0da12fe857c599206c7a2e17c3fe201268d588170de76f19cff3d');
INSERT INTO outputs VALUES('zh-Hant/days/2025-12-14.html','1f0d8fbf5c0144dfa587e20dfef966760dd03085a37ae93e6e1481def5dd9045');
INSERT INTO outputs VALUES('zh-Hant/days/2025-12-15.html','6dbd01c7288945b005eea39bbd66146daf1e3043b47a36dac4d5519f9a7a88bf');
INSERT INTO outputs VALUES('zh-Hant/days/2025-12-16.html','251cd60817c7174d963860515c4f5339c33b62650830dd2e142864c1189cc833');
INSERT INTO outputs VALUES('zh-Hant/digests/index.html','13565148f6ef78974601edd8edcc23adfc58458747eeb2f5cea62cc7538195de');
INSERT INTO outputs VALUES('zh-Hant/feed.json','d9ecf4a40fbd0bd73d444bb43f28667b8a899f6473d2b3d131862d2b55dc0b80');
INSERT INTO outputs VALUES('zh-Hant/feeds-json.opml','2bfb1d1e18106cb4e47a074b6f2cfb28cf339030336337a0cd692e322e201408');
INSERT INTO outputs VALUES('zh-Hant/feeds.opml','08582f239537293767809ff78e0ed172fb462685eb090f4dab3957f4cd4317fd');
INSERT INTO outputs VALUES('zh-Hant/index.html','0506cc07cf31837e25d06f95bd58e1cad1df2a7cc4f29d5f7961e6ea2f3abcc7');
INSERT INTO outputs VALUES('zh-Hant/rss.xml','91dc1db9593f95008706368e0ab3bac78aef4903e13b0a8c517eba42c39ee1b3');
INSERT INTO outputs VALUES('zh-Hant/search.html','6513e57351d42a8a31a3fc1e86a4b1b7118c656fbe0a9861ed12415dc44b5141');
INSERT INTO outputs VALUES('zh-Hant/sources/08a054676cfa.html','cc37415d18061f62f5e2ef1f51b22143fdfe9649a3a2804c6f356d447b892f81');
INSERT INTO outputs VALUES('zh-Hant/sources/08a054676cfa.json','a9ee750afbe5bb1def3f9e182a30156a605ab3aa2ffabe3629c0e8c356e7ffa8');
INSERT INTO outputs VALUES('zh-Hant/sources/08a054676cfa.xml','6c30f2923c45e0cd3f9b8bcf6c19578ad10baad5cf9b41b87f149cdd4b29d4b1');
INSERT INTO outputs VALUES('zh-Hant/sources/1e626c2b5118.html','bec09fbbc28fc67d9f299daeb5e601b741e188f517dac4b0b1a8829c93f0999e');
INSERT INTO outputs VALUES('zh-Hant/sources/1e626c2b5118.json','297dd07c6360c43e70576106b365723e6ea209a98a0de68259fdcd0b914467b4');
INSERT INTO outputs VALUES('zh-Hant/sources/1e626c2b5118.xml','6ecda8cf84567acc3133fc6cf53b798673cad909bc6a0c45baf2deb4a45e6416');
INSERT INTO outputs VALUES('zh-Hant/sources/1f46b5b0388f.html','aad79341f609fdfd8b52cf49186dd48bd06b5b7e94b358df10ce75eeda7ed641');
INSERT INTO outputs VALUES('zh-Hant/sources/1f46b5b0388f.json','8325e203c459da9c5be8c85b1c5f303c3726a58afacea600263745aa6290ae21');
INSERT INTO outputs VALUES('zh-Hant/sources/1f46b5b0388f.xml','4da3072c55b786a69c1eb47ecbcc45d16e2d2e79d76b05e8604321c5ebb9a426');
INSERT INTO outputs VALUES('zh-Hant/sources/2b0742b027ff.html','ded06eea6812a6f26af71e0512e089f8e6ef1706bdd4c0e4e7409b27d801e965');
INSERT INTO outputs VALUES('zh-Hant/sources/2b0742b027ff.json','22e807495b114201b585b217e3a13709f9f21345ba28d27623b03834335838b6');
INSERT INTO outputs VALUES('zh-Hant/sources/2b0742b027ff.xml','a9f2626a33f1af6f51dbff58b4b28f17a36079325b4755e35292fe6edce2882f');
INSERT INTO outputs VALUES('zh-Hant/sources/316d4df5667d.html','76430447d7c0c92ffe269f1040fcac9847ee9107a2d28d28221645164e46e7a3');
INSERT INTO outputs VALUES('zh-Hant/sources/316d4df5667d.json','b62e92250e13ebed4fc4dfb085a5ebe7de1d8d2cd75a2aa71ac838661bd50002');
INSERT INTO outputs VALUES('zh-Hant/sources/316d4df5667d.xml','8c6c65db62cb6504bb0c9a39a45a0064de6cf1c752a7ad11d66766a877f157fb');
INSERT INTO outputs VALUES('zh-Hant/sources/50f0d3ff930d.html','200abc8a31ac9bfd4cfb7339844e763f3937b825853b82a289f6aa78147b3267');
INSERT INTO outputs VALUES('zh-Hant/sources/50f0d3ff930d.json','6abae9e78f31a93e376c16e4163e14c27ff9e80664d90b121352ce490254e2e3');
INSERT INTO outputs VALUES('zh-Hant/sources/50f0d3ff930d.xml','81536e83340d4df622d74cc04c82fd3fa158eef7803bd0b248325007c9f197eb');
INSERT INTO outputs VALUES('zh-Hant/sources/9d1dec886100.html','cf5cc0951993c0d6802691d13ed6956314a4f0ae75a2de30fd3ec546f46d7282');
INSERT INTO outputs VALUES('zh-Hant/sources/9d1dec886100.json','1963f31f0ee0ac374672b2d0327a2f4fa28c3d4aece518742c07c6c294a43e25');
INSERT INTO outputs VALUES('zh-Hant/sources/9d1dec886100.xml','5bae2ab858e8613f0619d97a30c9f605f942806c406e01faeb1fcc3a3ca074ad');
INSERT INTO outputs VALUES('zh-Hant/sources/a9f12ea41340.html','5eaf69cb1a02d67dc61715c9c7672f9e2ab38e6a0f60c19312ec9390a3a2920f');
INSERT INTO outputs VALUES('zh-Hant/sources/a9f12ea41340.json','8117e544f42e67b598c9a97b3b8c118615e30a506f90b0a473f84238dc9aaafb');
INSERT INTO outputs VALUES('zh-Hant/sources/a9f12ea41340.xml','faa3b8d067b2bf2492a9eec2c5be984260ae30f50253a219f3aebc495c96c4cb');
INSERT INTO outputs VALUES('zh-Hant/sources/b5be749a163f.html','978679de2a480e5fd2f68500c278e4374fc2ffe62cd304a92a945409036a23ef');
INSERT INTO outputs VALUES('zh-Hant/sources/b5be749a163f.json','9b3adaca0984fcb4667a63bf4ce99f806ac7690df77c355d54d9fecc2c731ad4');
INSERT INTO outputs VALUES('zh-Hant/sources/b5be749a163f.xml','527e168a7ac0c3631b7b3f79f301e819ea1d57038009ccd63e3e6bdb34a2ed33');
INSERT INTO outputs VALUES('zh-Hant/sources/c033969e30fd.html','f153b5cfafe704fc96bd7a93e59b02b94b9e59221b844f201496f76788547c79');
INSERT INTO outputs VALUES('zh-Hant/sources/c033969e30fd.json','836b73e5612fb25d49fa0dcb009ff41e61c49c3c8d9d7b9ff04ac4d72f98d060');
INSERT INTO outputs VALUES('zh-Hant/sources/c033969e30fd.xml','6c4dcf704aea66ca8653a01d58981703203d4d7fa76adbc087c395eed8acf897');
INSERT INTO outputs VALUES('zh-Hant/sources/ca921446d8a3.html','c3224b5bff9c57781fc2ccc7937d314bcedf07e41ecb9b8dcd99c20a298b69bf');
INSERT INTO outputs VALUES('zh-Hant/sources/ca921446d8a3.json','b21bace9900186cd1d14ad43af3cef3c36e4d1a67ad1ac3783ca1505952254aa');
INSERT INTO outputs VALUES('zh-Hant/sources/ca921446d8a3.xml','3160d6aa3fe5be2779f1a5674ac152cfa7024684465a5bc8ca54cedd45652534');
CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    finished TEXT NOT NULL,
    written INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    seconds REAL NOT NULL
, generation INTEGER NOT NULL DEFAULT -1, settings TEXT NOT NULL DEFAULT '');
INSERT INTO builds VALUES(1,'2026-12-08T02:59:30.229655+08:00',80,0,0.47878870800013828556,2,'d1c362866f28ddd39b203c6c497fcfba53a7b9342e838ae1ebed59d0f59965fd');
INSERT INTO builds VALUES(2,'2026-12-08T02:59:48.638581+08:00',111,43,0.21754661500017391517,3,'d1c362866f28ddd39b203c6c497fcfba53a7b9342e838ae1ebed59d0f59965fd');
CREATE TABLE runs (
    day TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    summary TEXT NOT NULL DEFAULT ''
);
INSERT INTO runs VALUES('2026-12-08','2026-12-08T02:59:48.638581+08:00','2026-12-08T02:59:48.638581+08:00','2026-12-08: 1 files (0 rejected), 8 articles added, 111 outputs written, WebSub: 38 feeds changed, 0 pings acknowledged, 50 waiting for the next run, mails sent 0, failed 0, uncertain 0, deferred 0, skipped 0, posts 2026-12-08: no articles, 1.8 s');
CREATE TABLE IF NOT EXISTS "subscribers" (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
    name TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    confirmed TEXT,
    unsubscribed TEXT,
    bounced TEXT
, frequency TEXT NOT NULL DEFAULT 'daily'
    CHECK (frequency IN ('daily', 'weekly')), weekday INTEGER CHECK (weekday BETWEEN 0 AND 6), paused_until TEXT, link_generation INTEGER NOT NULL DEFAULT 0, signed_up TEXT, confirm_mailed TEXT, edition TEXT NOT NULL DEFAULT '');
INSERT INTO subscribers VALUES(1,'ann@example.org','ann@example.org','zh-Hant','bounced','Ann Example','2026-12-08T02:59:32.917929+08:00','2026-12-08T02:59:32.917929+08:00',NULL,'2026-12-08T02:59:39.123672+08:00','daily',NULL,NULL,0,NULL,NULL,'zh-Hant');
INSERT INTO subscribers VALUES(2,'bo@example.org','bo@example.org','zh-Hans','active','','2026-12-08T02:59:33.683570+08:00','2026-12-08T02:59:33.683570+08:00',NULL,NULL,'daily',NULL,NULL,0,NULL,NULL,'zh-Hans');
INSERT INTO subscribers VALUES(3,'cy@example.org','cy@example.org','zh-Hant','active','','2026-12-08T02:59:34.873924+08:00','2026-12-08T02:59:34.873924+08:00',NULL,NULL,'weekly',2,NULL,0,NULL,NULL,'zh-Hant');
INSERT INTO subscribers VALUES(4,'eve@example.org','eve@example.org','zh-Hans','pending','','2025-12-16T10:00:00+08:00',NULL,NULL,NULL,'daily',NULL,NULL,0,'2025-12-16T10:00:00+08:00',NULL,'');
CREATE TABLE bounces (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    report TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    status TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL,
    UNIQUE (report, subscriber_id)
);
INSERT INTO bounces VALUES(1,1,'<20251214181407.4dQk2B1xYz@mx.news.example.org>','hard','5.1.1','<digest.2025-12-14.zh-Hant.1@news.example.org>','2025-12-15T02:14:07+08:00');
CREATE TABLE erased (
    address_hash TEXT PRIMARY KEY
);
INSERT INTO erased VALUES('c813344ba386507859e6424c09eae9cccdd31efc032eb2aff876e0e0ab036548');
CREATE TABLE source_optouts (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, source)
);
INSERT INTO source_optouts VALUES(3,'範例科學日報');
INSERT INTO source_optouts VALUES(3,'范例城市报');
CREATE TABLE form_posts (
    client TEXT PRIMARY KEY,
    window_start DOUBLE PRECISION NOT NULL,
    posts INTEGER NOT NULL
);
INSERT INTO form_posts VALUES('a keyed hash of a client, not an address',1765850400.0,1);
CREATE TABLE IF NOT EXISTS "deliveries" (
    id INTEGER PRIMARY KEY,
    digest_date TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'daily' CHECK (kind IN ('daily', 'weekly')),
    script TEXT NOT NULL CHECK (script IN ('zh-Hant', 'zh-Hans')),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (digest_date, kind, subscriber_id)
);
INSERT INTO deliveries VALUES(1,'2025-12-14','daily','zh-Hant',1,'sent',1,'','<digest.2025-12-14.zh-Hant.1@news.example.org>','2026-12-08T02:59:37.850449+08:00','vm:17998:f6ff61bb',1796670097.8291580677);
INSERT INTO deliveries VALUES(2,'2025-12-14','daily','zh-Hans',2,'sent',1,'','<digest.2025-12-14.zh-Hans.2@news.example.org>','2026-12-08T02:59:37.891677+08:00','vm:17998:f6ff61bb',1796670097.8291580677);
INSERT INTO deliveries VALUES(3,'2025-12-14','daily','zh-Hant',3,'sent',1,'','<digest.2025-12-14.zh-Hant.3@news.example.org>','2026-12-08T02:59:37.911225+08:00','vm:17998:f6ff61bb',1796670097.8291580677);
CREATE TABLE IF NOT EXISTS "conversions" (
    key TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    made TEXT,
    corrected TEXT,
    PRIMARY KEY (key, signature)
);
INSERT INTO conversions VALUES('a8828eb3831e5d4f2e8ee60e4089963943c95ea90fb0cb34897c06e15e35ee3b','tw2sp:f9bc391ce55c','台北内存展开幕,国产芯片厂商齐聚一堂','今年的台北内存展于周一开幕,共有四十多家厂商参展。主办单位表示,今年展出的重点是高带宽内存(HBM)与新一代储存芯片,多家厂商也同场发表了自家的驱动程序与管理软件。一位参展工程师说:「过去一年,客户最常问的是交期。」展期共三天,入场免费。','范例科技周报','2026-12-08T02:59:29.168236+08:00',NULL);
INSERT INTO conversions VALUES('04bc7000e436d356ce814e11c376f63f52e41f2d1d788baacffd9d3ff66fbc68','tw2sp:f9bc391ce55c','开源社区推出新版代码检查工具','一个由志愿者维护的开源项目本周发布新版本,可以在提交代码之前自动找出常见错误。新版支持更多编程语言,并改善了在笔记本电脑上的运行速度。项目负责人表示,下一步会加强对视频与网络服务相关程序的检查;他也提醒用户:「工具只是帮手,不能取代人的判断。」','开源观察','2026-12-08T02:59:29.168236+08:00',NULL);
INSERT INTO conversions VALUES('3ef6ad03de8b673c577f4cd75f2213f065d8154cc86036a391f191f21928e094','tw2sp:f9bc391ce55c','研究团队以新方法观测遥远星系','一支跨国研究团队利用多座望远镜的数据,首次清楚观测到一个遥远星系核心的喷流结构。团队指出,这项成果有助于理解黑洞如何影响周围的气体。研究人员也公开了处理数据所用的软件,让其他团队可以重复验证结果。论文已于本月发表。','范例科学日报','2026-12-08T02:59:29.168236+08:00',NULL);
INSERT INTO conversions VALUES('975b3b05b83230aa6fa5d9eba63d8b10a25105c4cce21063cf8c983cc0796371','s2twp:b3dccfdb6b04','城市圖書館推出夜間閱讀服務','本市圖書館從下週起試行夜間開放,週五和週六延長至晚上十點。館方表示,讀者可以用手機預約座位,也可以借用館內的筆記型電腦查閱資料庫。試行期為三個月,之後將根據使用情況決定是否長期實施。','範例城市報','2026-12-08T02:59:29.168236+08:00',NULL);
INSERT INTO conversions VALUES('7ccd75ecf5646528c127c500f10b5748cb164c0159da610c56597357a85e3ff9','tw2sp:f9bc391ce55c','英伟达公布新一代数据中心芯片,内存带宽再提升','英伟达周二在加州发表新一代数据中心芯片,采用更大容量的高带宽内存(HBM),官方表示训练大型模型的速度可比上一代快一倍。多家云端业者已表态采购,但分析师提醒,供应链的封装产能仍是瓶颈,出货时程可能延到明年下半年。公司也同步更新了驱动程序与开发工具,让既有的代码不必大幅修改就能移植。','范例芯片观察','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('82378028c8e65d8608bf42048dee0169e417ef6ceb271c900ac2965c48b881e1','tw2sp:f9bc391ce55c','国内内存厂扩建新厂,预计三年后量产','一家国内内存大厂宣布在中部科学园区扩建新厂,总投资金额超过新台币三千亿元。公司表示,新厂将以先进制程生产服务器用内存,并预留空间给未来的堆栈封装。地方政府说明,环境评估已在进行中,用水与用电的规划也会一并公开。工会则希望公司说明新厂的人力需求与培训计划。','范例产业日报','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('3d15045ba126eec5b5d004da861f26912c1f0ca1312cb866f47b535ce3d338cd','tw2sp:f9bc391ce55c','视频会议软件推出实时翻译功能','一款常见的视频会议软件本周加入实时翻译字幕,目前支持中文、英文与日文三种语言。用户可以在会议中选择自己要看的字幕语言,系统会在数秒内显示翻译结果。开发团队坦言,专有名词与人名的翻译仍不够准确,因此提供了自订词汇表,让企业加入产品名称与内部用语。','范例软件周报','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('2ad0d89a56313af4231bf7d5b10890e8266c044b859fd40521e810dcf7bccdf6','tw2sp:f9bc391ce55c','大学开设编程营,高中生报名踊跃','一所国立大学今年暑假开设为期两周的编程营,名额一百人,开放报名三天就额满。课程从基础的变量与循环教起,最后一周由学员分组完成一个小型应用程序。主办的教授表示,希望学生在写代码之外,也学会如何阅读别人的程序与写出清楚的说明文件(包括注解与使用手册)。','范例教育新闻','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('ef23bb78c91a388f93fce3de3edb1f2a61f51a8e7de9cf7e1e25b46a1874272e','tw2sp:f9bc391ce55c','电动车充电站数量一年成长五成','交通部公布的统计显示,全国公共充电站的数量比去年同期增加约五成,其中快充站的比例也明显上升。业者指出,偏乡与山区的充电站仍然不足,长途旅行的车主常需要事先规划路线。政府表示,明年将以补助方式鼓励加油站与便利商店加装充电设备,并统一各家业者的付款方式。','范例交通快讯','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('9175c7d6ba17b4c24a2ef80160a062d73680e82cf7550bf8cd83760323ff38b5','tw2sp:f9bc391ce55c','手机游戏公司发表新作,主打跨平台连线','一家手机游戏公司在游戏展上发表新作,玩家可以在手机、电脑与游戏主机之间共用同一个账号与进度。公司表示,新作的服务器架设在多个地区,以降低连线延迟。现场试玩的玩家对画面评价不错,但也有人担心内购设计会影响游戏平衡,公司回应将在正式上线前公开概率与价格。','范例游戏频道','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('3841c36b81708773bd1b40cf458a34c6999cf035bff349589464088323de5c23','tw2sp:f9bc391ce55c','资安研究人员提醒路由器更新固件','资安研究人员发现,多款家用路由器的管理界面存在漏洞,攻击者可能在用户不知情的情况下更改设定。研究团队已通知厂商,部分厂商也已发布更新固件。专家建议民众登录路由器的管理页面确认版本,并更换预设密码;若设备已停止支持,最好考虑汰换,以免成为攻击的跳板。','范例资安报导','2026-12-08T02:59:48.638581+08:00',NULL);
INSERT INTO conversions VALUES('d3741680faca33aa7c7d58d4796228ebfe4ef28dc2da3c75dc69c516ce34841c','tw2sp:f9bc391ce55c','气象局启用新超级计算机,预报时间缩短','气象局宣布新的超级计算机正式上线,计算能力约为旧系统的四倍。新系统让数值预报的分辨率提高,台风路径与豪雨范围的预测可以更快送到防灾单位手中。气象局表示,旧系统将保留作为备援,未来也会把部分模式数据开放给学术单位,让研究人员用来改进预报方法。','范例科学日报','2026-12-08T02:59:48.638581+08:00',NULL);
CREATE TABLE feed_states (
    topic TEXT PRIMARY KEY,
    digest TEXT NOT NULL
);
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/atom.xml','ff216ad7bab0d90aed60942cf4380710496fc45b2f95a0a38d20345628fc353b');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/rss.xml','e400ac7785320cc69bf986905ea0eebf9a5ed2293ff2354f93eb7b3eaae220a8');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/feed.json','640fc907aefc336a7deac8f7e8614fe8b6c55e350fe82a8d83a4877b9bca82a3');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/b5be749a163f.xml','332c04cf02df20879becff55f513e2ed9580c39b6555ea472f51d47f9198b892');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/b5be749a163f.json','6b522d742e072c593752b058dedf94465b4d4fa76adfac080ffc94ed3c30ae7a');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/50f0d3ff930d.xml','2260f7a209afef87443234bf5bb558f673ca73b47f7ae6f5689cec4d58b6dbd9');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/50f0d3ff930d.json','15e624ba276df43143ba806b0485ea4dc23681006a94da092fa21c4323ca7f8b');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/1f46b5b0388f.xml','104d109e6be53b840e760cfd885c5f354c811d4bbe55d134fff30526bbd9cdea');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/1f46b5b0388f.json','99adcc90d946e4e90466e4d6e13c9b0416e3726bb0d51030e5c04b5319e807ba');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/1e626c2b5118.xml','5a36e9e8b4d7202ddbd72a98e3cd152f9965a8f40f8091bef2e1a48fee62560e');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/1e626c2b5118.json','43e8a118f3bcd465e4f3ec7acd2ff4079f442b453f6034a1893e6a2dd4de5bb9');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/atom.xml','69b45677780579bcc8dc5403962b4af8864726b6b32d17e63e03e6d8e67e3f54');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/rss.xml','ab92c2d277a91febbd3e41e4c4dcf42394cf4926c6d5deb59733ba498934b3e1');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/feed.json','b9ad30d28e07d4836d10c6bc8f91be1ec3ab4c4bc92b1a960c42659ed6f15295');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/b5be749a163f.xml','d7915b0fb7a154428ecdc5e2b58faec6efe61a914c839af7c557aa087448190a');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/b5be749a163f.json','6e622d4e310cbe73f112c30ed08c5035b73661cfeaa0d867db70270955e46b46');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/50f0d3ff930d.xml','8ae368e874d409ef9d35d904369533fd4230c66416e61d4b941face112ef6c3a');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/50f0d3ff930d.json','56458192a97bc508667164e5642dee5a5d1770253d02be168ceeb2840d786383');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/1f46b5b0388f.xml','e8a1e08e32dd7693c14d6fe3c863b9778e84a56a66abf7d6874be5e3aba9a716');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/1f46b5b0388f.json','4b7b23cdbf2d17663d5a604859c2edd677ecfdbe47d1a5f71e7cfc3d374fc23a');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/1e626c2b5118.xml','9ade1a9114c5cc0caf04df715f70bf3a6b38d88defdb7bd3534777ec3846b241');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/1e626c2b5118.json','f97b4358ba2ef3ef2734bd592f77baa47cea14b6968e60a7b52462cf71aa5f51');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/a9f12ea41340.xml','2b0c5e049786c370dd2316e5c30a9b81e2d6d075203a92055c5c1a3b5aece09e');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/a9f12ea41340.json','3d397f190a082f7f9af0a41cd4f7d98aae8c42ec737143b7b7ccbc6476227e53');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/9d1dec886100.xml','42280a65d1821924730cfab5becf2781e8df53ae88bc3ba86308f8ae0a4540cb');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/9d1dec886100.json','ef03fe96f780ea10fff090336256da093e218913324776663220927c205c445d');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/316d4df5667d.xml','99a28744bef7aca8818cb9ecf86cf365b593e2be8ad518f3e628374684eade9c');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/316d4df5667d.json','9c8ed4aebc41c6f55eaf4aa78867810313c6dc64468ab81896b4ee5266ee1dc9');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/08a054676cfa.xml','daf9c16cd22458c29203092e936bed8064821f91aac9c5216d1da3c6fd6496ee');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/08a054676cfa.json','fdafbf01820a15268cd3e762e1d0d87457eac6f73507f1e4d99688cc537e196b');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/ca921446d8a3.xml','470778b956e42e1deec58d0d32f758180a610e2349928c391c49133990413a20');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/ca921446d8a3.json','9b49c8ac33df5bad2884e573a18c4ca2cf362c1a17409e29d59d920666463ae7');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/c033969e30fd.xml','e19fb6fc13f5c547b0472c1e02442aeb7d3d63beac7b75292edfc78309904e40');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/c033969e30fd.json','b1443be33cc3a498b639af4f475c8ceb4b92e2ceef546d42ef35873f74985f20');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/2b0742b027ff.xml','0473cdfd0782efbfedba543508aec21393225e881782e390677f50d762c208db');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hant/sources/2b0742b027ff.json','b994095cd537448c3e209b92de2ce32538425c9e98391918b1918f5f4a78cb24');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/a9f12ea41340.xml','bf7ab6c8f94f4d8d73d71187b157ab25d941cf87da5b61c3f01a57a7315b25fd');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/a9f12ea41340.json','517b7c24751981482a110ef1b950509637a6f4941e54e4fa929d8c88c3e7cffa');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/9d1dec886100.xml','a47f231b3697fa7aaf57f5c7aab0f6735c2a434d3ce09ce03b942d7974a3e22b');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/9d1dec886100.json','9ce03e40b8d86b7b77d5b65f6b61cc261bb81473fa84c3c169af3488c8e69b8e');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/316d4df5667d.xml','ce93c8759d11a5dc1afdb4b423ee0fec60b6c99631bafe1466e55ded16c8f408');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/316d4df5667d.json','60efc9af546f3399af08a758a68144e87182faebe0dcd623476c2cadaf7a19ec');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/08a054676cfa.xml','54129b7c62aaedbbb853942a0b57622bf92f95b700fdf9e278262c7e23343de8');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/08a054676cfa.json','894ea3e70fdbdbc6c64feaf7abbf8ca3503d206c943e897884aad66de898cd86');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/ca921446d8a3.xml','aab152d4f2df609b88cc8feffbb6eb9ff66837fa87367d519c91065f470c5743');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/ca921446d8a3.json','9d89823d858c0f291d74b151b25020249ab3abe6cc5db6f9d824395357b17831');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/c033969e30fd.xml','6a14ff18a0d9ae8c28fc608157158f07d1a7983b40e22d455d78dc395f6a945b');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/c033969e30fd.json','d771620a6d66258642f518f0eed5c5b5b263848da84e8d4f5d59d00a8caf69c9');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/2b0742b027ff.xml','757581e03b4040569f11a6c3f11c4d08cd029cc22d4e3b99428cc43f91211d72');
INSERT INTO feed_states VALUES('https://news.example.org/zh-Hans/sources/2b0742b027ff.json','dffed75ee7bc49279939c68022095b3bbccd744918561734aaf15c4cd4e6694d');
CREATE TABLE websub_pings (
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    since TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (hub, topic)
);
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/atom.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/rss.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/feed.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/b5be749a163f.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/b5be749a163f.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/50f0d3ff930d.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/50f0d3ff930d.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/1f46b5b0388f.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/1f46b5b0388f.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/1e626c2b5118.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/1e626c2b5118.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/atom.xml','2026-12-08T02:59:30.229655+08:00',2,'not reachable (Connection refused)');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/rss.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/feed.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/b5be749a163f.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/b5be749a163f.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/50f0d3ff930d.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/50f0d3ff930d.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/1f46b5b0388f.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/1f46b5b0388f.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/1e626c2b5118.xml','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/1e626c2b5118.json','2026-12-08T02:59:30.229655+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/a9f12ea41340.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/a9f12ea41340.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/9d1dec886100.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/9d1dec886100.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/316d4df5667d.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/316d4df5667d.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/08a054676cfa.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/08a054676cfa.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/ca921446d8a3.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/ca921446d8a3.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/c033969e30fd.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/c033969e30fd.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/2b0742b027ff.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hant/sources/2b0742b027ff.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/a9f12ea41340.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/a9f12ea41340.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/9d1dec886100.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/9d1dec886100.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/316d4df5667d.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/316d4df5667d.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/08a054676cfa.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/08a054676cfa.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/ca921446d8a3.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/ca921446d8a3.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/c033969e30fd.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/c033969e30fd.json','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/2b0742b027ff.xml','2026-12-08T02:59:48.638581+08:00',0,'');
INSERT INTO websub_pings VALUES('http://127.0.0.1:9/hub','https://news.example.org/zh-Hans/sources/2b0742b027ff.json','2026-12-08T02:59:48.638581+08:00',0,'');
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    article TEXT NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
    edition TEXT NOT NULL,
    chat TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    handed_over INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    UNIQUE (article, chat)
);
INSERT INTO posts VALUES(1,'2025-12-14',0,'a8828eb3831e5d4f2e8ee60e4089963943c95ea90fb0cb34897c06e15e35ee3b','zh-Hant','@example_hant','queued',0,1,'','the Bot API is not reachable (refused)','2026-12-08T02:59:47.432547+08:00');
INSERT INTO posts VALUES(2,'2025-12-14',1,'04bc7000e436d356ce814e11c376f63f52e41f2d1d788baacffd9d3ff66fbc68','zh-Hant','@example_hant','queued',0,0,'','','2026-12-08T02:59:47.419117+08:00');
INSERT INTO posts VALUES(3,'2025-12-14',2,'3ef6ad03de8b673c577f4cd75f2213f065d8154cc86036a391f191f21928e094','zh-Hant','@example_hant','queued',0,0,'','','2026-12-08T02:59:47.419117+08:00');
CREATE INDEX form_posts_by_window ON form_posts (window_start);
CREATE INDEX articles_by_generation ON articles (generation);
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
CREATE INDEX deliveries_by_state ON deliveries (digest_date, kind, status, id);
CREATE INDEX articles_in_order ON articles (batch_date DESC, position, key, source, generation);
CREATE INDEX conversions_corrected ON conversions (signature, key, corrected)
    WHERE corrected IS NOT NULL;
CREATE INDEX posts_by_day ON posts (day, status, position);
COMMIT;
